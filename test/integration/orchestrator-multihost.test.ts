import { spawnSync } from 'node:child_process';
import { isFinalJobState } from '../../src/protocol/job-states.js';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Docker from 'dockerode';
import { packageRoot } from '../../src/shared/package-files.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { initInstallFolder } from '../support/install-folder.js';
import { expectNoServicesStack } from '../support/services-stack-objects.js';
import { shipImage, startNetnsEngine, type NetnsEngine } from '../support/netns-engine.js';
import { until } from '../support/until.js';

// GIVEN the services stack brought up by `gyre up` on this machine's Docker Engine, and two more
// Docker Engines (hosts B and C), each in its own network namespace with its own address. Builders
// on B and C reach the services box at the host side of their veth, as a remote builder would.
const JOB_IMAGE = 'debian:bookworm-slim';
const B = { name: 'orchb', subnet: '10.250.31', bip: '172.31.31.1/24' };
const C = { name: 'orchc', subnet: '10.250.32', bip: '172.31.32.1/24' };
let hostB: NetnsEngine;
let hostC: NetnsEngine;
let git: GitServer;
let work: string;
let httpPort: number;
let projectId: number;

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The built CLI, as an operator runs it, in the test's folder (`.env` and `.gyre` live there). */
function gyre(args: readonly string[], timeoutMs = 600_000, env: Readonly<Record<string, string>> = {}): CliRun {
  const result = spawnSync(process.execPath, [join(packageRoot, 'dist/cli.js'), ...args], {
    cwd: work,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, CI: 'true', ...env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function api(path: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
  const { url, token } = JSON.parse(readFileSync(join(work, '.gyre/api.json'), 'utf8')) as {
    url: string;
    token: string;
  };
  return fetch(`${url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
  });
}

async function json<T>(path: string): Promise<T> {
  return (await (await api(path)).json()) as T;
}

interface Job {
  readonly id: number;
  readonly name: string;
  readonly state: string;
}
interface Attempt {
  readonly attempt: number;
  readonly builder: string | null;
  readonly outcome: string | null;
}

/** Pushes a workflow of `count` jobs that each sleep, and triggers it. */
async function startPipeline(count: number, sleepSeconds: number): Promise<number> {
  const names = Array.from({ length: count }, (_, i) => `job-${i + 1}`);
  const jobs = names
    .map(
      (name) =>
        `  ${name}: { docker: [{ image: ${JOB_IMAGE} }], steps: [{ run: "sleep ${sleepSeconds}; echo ${name} done" }] }`,
    )
    .join('\n');
  await git.push('fleet', {
    '.circleci/config.yml': `version: 2.1\njobs:\n${jobs}\nworkflows:\n  main:\n    jobs: [${names.join(', ')}]\n`,
  });
  const response = await api(`/api/v1/projects/${projectId}/pipelines`, { body: { branch: 'main' } });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: number }).id;
}

async function jobsOf(pipeline: number): Promise<Job[]> {
  const answer = await json<{ items?: { jobs: Job[] }[] }>(`/api/v1/pipelines/${pipeline}/workflows`);
  return (answer.items ?? []).flatMap((w) => w.jobs);
}

async function waitForJobs(
  pipeline: number,
  condition: (jobs: Job[]) => boolean | Promise<boolean>,
  timeoutMs = 300_000,
): Promise<Job[]> {
  let jobs: Job[] = [];
  try {
    return await until(
      `pipeline ${pipeline} to get there`,
      async () => {
        jobs = await jobsOf(pipeline);
        return jobs.length > 0 && (await condition(jobs)) ? jobs : undefined;
      },
      { timeoutMs, intervalMs: 500 },
    );
  } catch (error) {
    // The jobs as last seen tell where it got instead.
    throw new Error(`${(error as Error).message}; jobs: ${JSON.stringify(jobs)}`, { cause: error });
  }
}

const allFinished = (jobs: Job[]) => jobs.every((j) => isFinalJobState(j.state));

async function attemptsOf(job: Job): Promise<Attempt[]> {
  return (await json<{ attempts: Attempt[] }>(`/api/v1/jobs/${job.id}`)).attempts;
}

beforeAll(async () => {
  await expectNoServicesStack();
  work = mkdtempSync(join(tmpdir(), 'gyre-fleet-'));
  [hostB, hostC, git] = await Promise.all([
    startNetnsEngine(B),
    startNetnsEngine(C),
    startGitServer({ listen: '0.0.0.0' }),
  ]);
  await Promise.all([shipImage(hostB, JOB_IMAGE), shipImage(hostC, JOB_IMAGE)]);
  httpPort = await initInstallFolder(work);
}, 600_000);

afterAll(async () => {
  gyre(['down', '--volumes', '--yes'], 300_000);
  await Promise.all([hostB?.stop(), hostC?.stop(), git?.stop()]);
  rmSync(work, { recursive: true, force: true });
}, 600_000);

describe('gyre up, builders on two more hosts, drain, remove and roll', () => {
  it('brings up the services stack and prints where to log in', async () => {
    const up = gyre(['up']);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(up.stdout).toContain(`Web UI:         http://localhost:${httpPort}`);
    expect(up.stdout).toMatch(/First admin: +admin \/ \S+/);
    await git.createRepo('fleet');
    // The services app runs in a container: it reaches the git server through this machine's address on B's veth.
    const gitUrl = `git://${B.subnet}.1:${git.port}/fleet.git`;
    const created = await api('/api/v1/projects', { body: { name: 'acme/fleet', gitUrl } });
    expect(created.status).toBe(201);
    projectId = ((await created.json()) as { id: number }).id;
  }, 900_000);

  it('refuses bad input before it changes anything', () => {
    const unreachable = gyre([
      'builder',
      'join',
      '--host',
      'tcp://10.250.99.2:2375',
      '--name',
      'nowhere',
      '--services-url',
      'http://10.250.99.1',
    ]);
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toContain('tcp://10.250.99.2:2375');
    expect(existsSync(join(work, '.gyre/builders/nowhere'))).toBe(false);

    const wrongSecret = gyre(
      [
        'builder',
        'join',
        '--host',
        hostB.tcpUrl,
        '--name',
        'host-b',
        '--slots',
        '2',
        '--slot-cpus',
        '0',
        '--services-url',
        `http://${B.subnet}.1:${httpPort}`,
      ],
      120_000,
      { GYRE_JOIN_SECRET: 'w'.repeat(40) },
    );
    expect(wrongSecret.code).toBe(2);
    expect(wrongSecret.stderr).toContain('GYRE_JOIN_SECRET: is not accepted by the services box');
    expect(existsSync(join(work, '.gyre/builders/host-b'))).toBe(false);

    const gone = gyre(['builder', 'drain', 'no-such-builder']);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain('builder "no-such-builder"');
  }, 300_000);

  it('joins builders on B and C: the image is shipped and both show with their capacity', () => {
    const joinB = gyre([
      'builder',
      'join',
      '--host',
      hostB.tcpUrl,
      '--name',
      'host-b',
      '--slots',
      '2',
      '--slot-cpus',
      '0',
      '--services-url',
      `http://${B.subnet}.1:${httpPort}`,
    ]);
    expect(joinB.stderr).toBe('');
    expect(joinB.code).toBe(0);
    expect(joinB.stdout).toMatch(/host-b is active: 2 slot\(s\)/);
    const joinC = gyre([
      'builder',
      'join',
      '--host',
      hostC.tcpUrl,
      '--name',
      'host-c',
      '--slots',
      '2',
      '--slot-cpus',
      '0',
      '--services-url',
      `http://${C.subnet}.1:${httpPort}`,
    ]);
    expect(joinC.stderr).toBe('');
    expect(joinC.code).toBe(0);
    expect(joinC.stdout).toContain('shipped gyre/app:0.1.0');
    expect(joinC.stdout).toMatch(/host-c is active: 2 slot\(s\)/);

    const again = gyre([
      'builder',
      'join',
      '--host',
      hostC.tcpUrl,
      '--name',
      'host-c',
      '--slots',
      '2',
      '--slot-cpus',
      '0',
      '--services-url',
      `http://${C.subnet}.1:${httpPort}`,
    ]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already there');

    const taken = gyre([
      'builder',
      'join',
      '--host',
      hostB.tcpUrl,
      '--name',
      'host-c',
      '--slots',
      '2',
      '--services-url',
      `http://${B.subnet}.1:${httpPort}`,
    ]);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain('a builder named "host-c" is already registered');

    const list = gyre(['builder', 'list', '--json']);
    expect(list.code).toBe(0);
    const builders = JSON.parse(list.stdout) as { name: string; state: string; slots: number; dockerHost: string }[];
    expect(builders.map((b) => [b.name, b.state, b.slots, b.dockerHost]).sort()).toEqual([
      ['host-b', 'active', 2, hostB.tcpUrl],
      ['host-c', 'active', 2, hostC.tcpUrl],
    ]);
    // Two slots of the default 4 GiB without a CPU limit, idle: all of it free.
    const table = gyre(['builder', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^NAME +HOST +STATE +JOBS +FREE +ROOM +DOCKER +VERSION +LAST SEEN$/m);
    expect(table.stdout).toMatch(/^host-b +\S+ +active +0 +unlimited CPU \/ 8 GiB +unlimited CPU \/ 8 GiB +off +/m);
  }, 900_000);

  it('spreads 10 jobs over both builders', async () => {
    const pipeline = await startPipeline(10, 1);
    const jobs = await waitForJobs(pipeline, allFinished);
    expect(jobs.map((j) => j.state)).toEqual(Array(10).fill('success'));
    const ranOn = new Set((await Promise.all(jobs.map(attemptsOf))).flat().map((a) => a.builder));
    expect([...ranOn].sort()).toEqual(['host-b', 'host-c']);
  }, 600_000);

  it('drain --wait on B while its jobs run: they finish, new jobs go to C, nothing is lost', async () => {
    const pipeline = await startPipeline(6, 8);
    await waitForJobs(pipeline, async () =>
      (await json<{ items: { name: string; runningJobs: number }[] }>('/api/v1/builders')).items.some(
        (b) => b.name === 'host-b' && b.runningJobs === 2,
      ),
    );
    const drain = gyre(['builder', 'drain', 'host-b', '--deadline', '10m', '--wait']);
    expect(drain.stderr).toBe('');
    expect(drain.code).toBe(0);
    expect(drain.stdout).toContain('host-b: drained, 0 job(s) running');
    const jobs = await waitForJobs(pipeline, allFinished);
    expect(jobs.map((j) => j.state)).toEqual(Array(6).fill('success'));
    const attempts = await Promise.all(jobs.map(attemptsOf));
    // Every job ran once: nothing was requeued by the drain.
    expect(attempts.map((a) => a.length)).toEqual(Array(6).fill(1));
    expect(attempts.flat().filter((a) => a.builder === 'host-b')).toHaveLength(2);
  }, 600_000);

  it('remove B leaves no Gyre container, network or volume on B', async () => {
    const removed = gyre(['builder', 'remove', 'host-b']);
    expect(removed.stderr).toBe('');
    expect(removed.code).toBe(0);
    const remote = new Docker({ socketPath: hostB.socketPath });
    expect(await remote.listContainers({ all: true })).toEqual([]);
    expect((await remote.listVolumes()).Volumes ?? []).toEqual([]);
    const networks = await remote.listNetworks();
    expect(networks.map((n) => n.Name).sort()).toEqual(['bridge', 'host', 'none']);
  }, 300_000);

  it('roll on C replaces its builder without losing a job', async () => {
    const pipeline = await startPipeline(4, 6);
    await waitForJobs(pipeline, (jobs) => jobs.some((j) => j.state === 'running'));
    const roll = gyre(['builder', 'roll', '--host', hostC.tcpUrl, '--deadline', '10m']);
    expect(roll.stderr).toBe('');
    expect(roll.code).toBe(0);
    expect(roll.stdout).toContain('host-c drained; host-c-r1 took its place');
    const jobs = await waitForJobs(pipeline, allFinished);
    expect(jobs.map((j) => j.state)).toEqual(Array(4).fill('success'));
    const attempts = (await Promise.all(jobs.map(attemptsOf))).flat();
    expect(attempts.every((a) => a.outcome === 'success')).toBe(true);
    const remote = new Docker({ socketPath: hostC.socketPath });
    const stacks = new Set(
      (await remote.listContainers({ all: true })).map((c) => c.Labels['com.docker.compose.project']),
    );
    expect([...stacks]).toEqual(['gyre-builder-host-c-r1']);
  }, 900_000);

  it('status --json matches what happened', () => {
    const status = gyre(['status', '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      healthy: true,
      services: [
        expect.objectContaining({ service: 'app', health: 'healthy' }),
        expect.objectContaining({ service: 'db', health: 'healthy' }),
      ],
      // Two slots of the default 4 GiB without a CPU limit: room for two `medium` jobs.
      builders: {
        total: 1,
        byState: { active: 1 },
        healthy: 1,
        runningJobs: 0,
        free: { cpus: null, memoryBytes: 8 * 1024 ** 3 },
      },
      queue: { depth: 0, oldestJob: null },
    });
  }, 120_000);
});
