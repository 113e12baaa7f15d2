import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Docker from 'dockerode';
import { secretSettingNames } from '../../src/config/index.js';
import { isFinalJobState } from '../../src/protocol/job-states.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { gyreIn, initInstallFolder } from '../support/install-folder.js';
import { startNetnsEngine, type NetnsEngine } from '../support/netns-engine.js';
import { until } from '../support/until.js';
import { WebClient } from '../support/web-client.js';

// GIVEN an install brought up by `gyre up` on Docker host B (an engine in a network namespace),
// with a builder on this machine's engine and a workflow whose first job stored an artifact and a
// cache while three more are running, WHEN it is backed up, taken down with its volumes and
// restored onto host C, THEN C serves everything B did, the builder keeps its identity once
// pointed at C, and the jobs that were in flight finish.
const JOB_IMAGE = 'debian:bookworm-slim';
const B = { name: 'bkpb', subnet: '10.250.41', bip: '172.31.41.1/24' };
const C = { name: 'bkpc', subnet: '10.250.42', bip: '172.31.42.1/24' };
const SLOW_JOBS = ['slow-1', 'slow-2', 'slow-3'];
const ARTIFACT_TEXT = 'the report of the build before the backup\n';
let hostB: NetnsEngine;
let hostC: NetnsEngine;
let git: GitServer;
let work: string;
let backups: string;
let httpPort: number;
let projectId: number;
let pipelineId: number;
let opsPassword: string;
let builderId: number;

const gyre = (args: readonly string[], env: Readonly<Record<string, string>> = {}) => gyreIn(work, args, 600_000, env);

/** Joins (or joins again) the builder on this machine's engine, at the services box's address. */
function joinHere(servicesUrl: string) {
  return gyre([
    'builder',
    'join',
    '--host',
    'unix:///var/run/docker.sock',
    '--name',
    'here',
    '--slots',
    '4',
    '--slot-cpus',
    '0',
    '--services-url',
    servicesUrl,
  ]);
}

function api(path: string, body?: unknown): Promise<Response> {
  const { url, token } = JSON.parse(readFileSync(join(work, '.gyre/api.json'), 'utf8')) as {
    url: string;
    token: string;
  };
  return fetch(`${url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
}

async function json<T>(path: string): Promise<T> {
  const response = await api(path);
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

interface Job {
  readonly id: number;
  readonly name: string;
  readonly state: string;
}

async function jobs(): Promise<Job[]> {
  const answer = await json<{ items: { jobs: Job[] }[] }>(`/api/v1/pipelines/${pipelineId}/workflows`);
  return answer.items.flatMap((w) => w.jobs);
}

async function attempts(job: Job): Promise<number> {
  return (await json<{ attempts: unknown[] }>(`/api/v1/jobs/${job.id}`)).attempts.length;
}

const volumesOn = async (engine: NetnsEngine) =>
  ((await new Docker({ socketPath: engine.socketPath }).listVolumes()).Volumes ?? []).map((v) => v.Name);

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'gyre-backup-'));
  backups = join(work, 'backups');
  [hostB, hostC, git] = await Promise.all([
    startNetnsEngine(B),
    startNetnsEngine(C),
    startGitServer({ listen: '0.0.0.0' }),
  ]);
  httpPort = await initInstallFolder(work);
}, 600_000);

afterAll(async () => {
  for (const host of [hostB, hostC]) if (host) gyre(['down', '--volumes', '--yes', '--host', host.tcpUrl]);
  // The builder's stack, whichever services box it last knew. Not its drain, which would wait the
  // whole drain deadline for jobs that can no longer report to a box that is down; so then what
  // its jobs and pool made is swept by its label.
  spawnSync('docker', [
    'compose',
    '-p',
    'gyre-builder-here',
    'down',
    '--volumes',
    '--remove-orphans',
    '--timeout',
    '10',
  ]);
  for (const kind of ['container', 'network', 'volume']) {
    const listed = spawnSync(
      'docker',
      [kind, 'ls', ...(kind === 'container' ? ['-a'] : []), '-q', '--filter', 'label=io.gyre.builder=here'],
      {
        encoding: 'utf8',
      },
    );
    const ids = listed.stdout.split('\n').filter(Boolean);
    if (ids.length > 0) spawnSync('docker', [kind, 'rm', ...(kind === 'container' ? ['-f'] : []), ...ids]);
  }
  await Promise.all([hostB?.stop(), hostC?.stop(), git?.stop()]);
  rmSync(work, { recursive: true, force: true });
}, 600_000);

describe('backup, verify and restore onto another host', () => {
  it('backs up an install with three jobs in flight, an artifact and a cache; a second backup into the folder copies no blob', async () => {
    const up = gyre(['up', '--host', hostB.tcpUrl]);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    await git.createRepo('kept');
    // The app on B reaches this machine's git server at the host side of B's veth, which C's
    // namespace routes to as well, so the restored project fetches from the same URL.
    const created = await api('/api/v1/projects', {
      name: 'acme/kept',
      gitUrl: `git://${B.subnet}.1:${git.port}/kept.git`,
    });
    expect(created.status).toBe(201);
    projectId = ((await created.json()) as { id: number }).id;
    const ops = spawnSync(
      'docker',
      [
        'exec',
        '-i',
        'gyre-services-app-1',
        'node',
        '/opt/gyre/dist/cli.js',
        'accounts',
        'create',
        '--login',
        'ops',
        '--admin',
        '--json',
      ],
      { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: hostB.socketUrl } },
    );
    expect(ops.status).toBe(0);
    opsPassword = (JSON.parse(ops.stdout) as { password: string }).password;

    // The builder runs on this machine's engine: its containers reach B and C through the host.
    const join_ = joinHere(`http://${B.subnet}.2:${httpPort}`);
    expect(join_.stderr).toBe('');
    expect(join_.code).toBe(0);
    builderId = (await json<{ items: { id: number; name: string }[] }>('/api/v1/builders')).items.find(
      (b) => b.name === 'here',
    )!.id;

    const slow = SLOW_JOBS.map(
      (name) => `  ${name}: { docker: [{ image: ${JOB_IMAGE} }], steps: [{ run: "sleep 25; echo ${name} done" }] }`,
    ).join('\n');
    await git.push('kept', {
      '.circleci/config.yml': `version: 2.1
jobs:
  build:
    docker: [{ image: ${JOB_IMAGE} }]
    steps:
      - run: mkdir -p out deps && printf '${ARTIFACT_TEXT.replace('\n', '\\n')}' > out/report.txt && echo cached > deps/lib.txt
      - save_cache: { key: v1-deps, paths: [deps] }
      - store_artifacts: { path: out/report.txt, destination: report.txt }
${slow}
workflows:
  main:
    jobs:
      - build
${SLOW_JOBS.map((name) => `      - ${name}: { requires: [build] }`).join('\n')}
`,
    });
    const triggered = await api(`/api/v1/projects/${projectId}/pipelines`, { branch: 'main' });
    expect(triggered.status).toBe(201);
    pipelineId = ((await triggered.json()) as { id: number }).id;
    await until(
      'the build to succeed and the three slow jobs to run',
      async () => {
        const now = await jobs();
        return now.find((j) => j.name === 'build')?.state === 'success' &&
          SLOW_JOBS.every((name) => now.find((j) => j.name === name)?.state === 'running')
          ? now
          : undefined;
      },
      { timeoutMs: 300_000, intervalMs: 300 },
    );

    const first = gyre(['backup', 'create', '--out', backups, '--host', hostB.tcpUrl, '--json']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const made = JSON.parse(first.stdout) as {
      backup: string;
      blobs: { total: number; copied: number; alreadyThere: number };
    };
    // The artifact's blob and the cache's.
    expect(made.blobs).toMatchObject({ total: 2, copied: 2, alreadyThere: 0 });
    const manifest = JSON.parse(readFileSync(join(made.backup, 'manifest.json'), 'utf8')) as {
      tables: Record<string, number>;
      gyre: string;
      schema: number;
    };
    expect(manifest.tables['projects']).toBe(1);
    expect(manifest.tables['jobs']).toBe(4);
    const keptSettings = readFileSync(join(made.backup, 'settings.env'), 'utf8');
    expect(keptSettings).toMatch(/^GYRE_HTTP_PORT=/m);
    for (const secret of secretSettingNames) expect(keptSettings).not.toMatch(new RegExp(`^${secret}=`, 'm'));

    // A second backup a second later gets its own folder and copies nothing it already has.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const second = gyre(['backup', 'create', '--out', backups, '--host', hostB.tcpUrl, '--json']);
    expect(second.code).toBe(0);
    expect((JSON.parse(second.stdout) as typeof made).blobs).toMatchObject({ total: 2, copied: 0, alreadyThere: 2 });
    expect(readdirSync(backups).sort()).toEqual(
      ['blobs', expect.stringMatching(/Z$/), expect.stringMatching(/Z$/)].sort(),
    );
  }, 900_000);

  it('verify passes on the backup, checks an encrypted one with its passphrase, and fails on a copy with one flipped byte, naming the file', async () => {
    const good = gyre(['backup', 'verify', backups]);
    expect(good.stderr).toBe('');
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(
      /is good: \d+ files match the manifest; restored: \d+ tables, \d+ rows, as the manifest says; schema \d+ → \d+/,
    );

    // An encrypted backup, into a folder of its own: without the passphrase only its checksums
    // are checked; with it, its database too.
    const encrypted = join(work, 'encrypted');
    writeFileSync(join(work, 'backup.pass'), 'a passphrase of some length\n');
    const backUpEncrypted = () =>
      gyre([
        'backup',
        'create',
        '--out',
        encrypted,
        '--host',
        hostB.tcpUrl,
        '--passphrase-file',
        'backup.pass',
        '--json',
      ]);
    const sealed = backUpEncrypted();
    expect(sealed.stderr).toBe('');
    expect(sealed.code).toBe(0);
    // A second one into the same folder a second later takes the blobs it has, and verifies too.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const again = backUpEncrypted();
    expect(again.code).toBe(0);
    expect((JSON.parse(again.stdout) as { blobs: { copied: number; alreadyThere: number } }).blobs).toMatchObject({
      copied: 0,
      alreadyThere: 2,
    });
    const checksumsOnly = gyre(['backup', 'verify', encrypted]);
    expect(checksumsOnly.code).toBe(0);
    expect(checksumsOnly.stdout).toContain('skipped: the backup is encrypted');
    const opened = gyre(['backup', 'verify', encrypted, '--passphrase-file', 'backup.pass']);
    expect(opened.code).toBe(0);
    expect(opened.stdout).toMatch(/restored: \d+ tables, \d+ rows, as the manifest says/);

    // One backup as one file: made, and verified from the file
    const archive = join(work, 'one.tar');
    const packed = gyre(['backup', 'create', '--out', archive, '--host', hostB.tcpUrl, '--json']);
    expect(packed.stderr).toBe('');
    expect(packed.code).toBe(0);
    expect((JSON.parse(packed.stdout) as { backup: string }).backup).toBe(archive);
    expect(readdirSync(work).filter((name) => name.startsWith('one.tar'))).toEqual(['one.tar']);
    const fromFile = gyre(['backup', 'verify', archive]);
    expect(fromFile.code).toBe(0);
    expect(fromFile.stdout).toMatch(/restored: \d+ tables, \d+ rows, as the manifest says/);

    const damaged = join(work, 'damaged');
    cpSync(backups, damaged, { recursive: true });
    const folder = readdirSync(join(damaged, 'blobs'))[0]!;
    const blob = join(damaged, 'blobs', folder, readdirSync(join(damaged, 'blobs', folder))[0]!);
    const bytes = readFileSync(blob);
    bytes[0] = bytes[0]! ^ 0x01;
    writeFileSync(blob, bytes);
    const bad = gyre(['backup', 'verify', damaged]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`blobs/${folder}/`);
    expect(bad.stdout).toContain('FAILED verification: files: 1 of');
  }, 300_000);

  it('down --volumes on B; a restore onto C with the wrong key is refused before anything is written', async () => {
    const down = gyre(['down', '--volumes', '--yes', '--host', hostB.tcpUrl]);
    expect(down.code).toBe(0);
    expect(await volumesOn(hostB)).toEqual([]);

    // (from the one-file backup: unpacked first, then refused the same way)
    const wrong = gyre(['restore', join(work, 'one.tar'), '--host', hostC.tcpUrl], {
      GYRE_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('GYRE_ENCRYPTION_KEY: is not the installation key');
    expect(await volumesOn(hostC)).toEqual([]);
    expect(await new Docker({ socketPath: hostC.socketPath }).listContainers({ all: true })).toEqual([]);
  }, 300_000);

  it('restores onto C: projects, pipelines, logs and artifacts are there; the builder keeps its identity; in-flight jobs finish', async () => {
    const restored = gyre(['restore', backups, '--host', hostC.tcpUrl]);
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain(`Restored ${backups}/`);

    const projects = await json<{ items: { id: number; name: string }[] }>('/api/v1/projects');
    expect(projects.items.map((p) => p.name)).toEqual(['acme/kept']);
    const build = (await jobs()).find((j) => j.name === 'build')!;
    expect(build.state).toBe('success');
    const listed = await json<{ items: { path: string; size: number }[] }>(`/api/v1/jobs/${build.id}/artifacts`);
    expect(listed.items).toEqual([expect.objectContaining({ path: 'report.txt', size: ARTIFACT_TEXT.length })]);
    const artifact = await api(`/api/v1/jobs/${build.id}/artifacts/report.txt`);
    expect(await artifact.text()).toBe(ARTIFACT_TEXT);

    // The web UI, as an account made before the backup sees it.
    const browser = new WebClient(`http://${C.subnet}.2:${httpPort}`);
    await browser.submit('/login', '/login', { login: 'ops', password: opsPassword });
    expect(await (await browser.get(`/projects/${projectId}`)).text()).toContain('acme/kept');
    expect(await (await browser.get(`/pipelines/${pipelineId}`)).text()).toContain('slow-1');
    const jobPage = await (await browser.get(`/jobs/${build.id}`)).text();
    expect(jobPage).toContain('report.txt');
    expect(jobPage).toContain('v1-deps');

    // WHEN the builder is pointed at C
    const pointedAt = Date.now();
    const rejoin = joinHere(`http://${C.subnet}.2:${httpPort}`);
    expect(rejoin.stderr).toBe('');
    expect(rejoin.code).toBe(0);
    // THEN it registered again, as the same builder: the restored row, seen since
    const builders = await json<{ items: { id: number; name: string; state: string; lastSeenAt: string }[] }>(
      '/api/v1/builders',
    );
    expect(builders.items.map((b) => [b.id, b.name, b.state])).toEqual([[builderId, 'here', 'active']]);
    expect(Date.parse(builders.items[0]!.lastSeenAt)).toBeGreaterThanOrEqual(pointedAt - 1_000);
    // AND within 60 s every job that was in flight has finished or is queued again for another attempt
    await until(
      'the in-flight jobs to finish or be requeued',
      async () => {
        const slow = (await jobs()).filter((j) => SLOW_JOBS.includes(j.name));
        const settled = await Promise.all(slow.map(async (j) => isFinalJobState(j.state) || (await attempts(j)) > 1));
        return settled.every(Boolean) ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    // AND all of them end in success
    const finished = await until(
      'the in-flight jobs to succeed',
      async () => {
        const slow = (await jobs()).filter((j) => SLOW_JOBS.includes(j.name));
        return slow.every((j) => isFinalJobState(j.state)) ? slow : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 500 },
    );
    expect(finished.map((j) => j.state)).toEqual(['success', 'success', 'success']);
  }, 900_000);
});
