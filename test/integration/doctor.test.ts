import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Docker from 'dockerode';
import { gyreIn, initInstallFolder } from '../support/install-folder.js';
import { startNetnsEngine, type NetnsEngine } from '../support/netns-engine.js';

// GIVEN an install with HTTPS brought up by `gyre up` on Docker host D (an engine in a network
// namespace, its data root on a file system of its own), WHEN one thing at a time breaks
// (the database stops, the data disk fills, the certificate served has expired), THEN
// `gyre doctor` names each with its fix and exits 1, and passes once it is mended.
// 8 GiB of ext4 (a sparse file) so that a fresh install has more free than the 5 GiB doctor warns under.
const D = { name: 'doctord', subnet: '10.250.43', bip: '172.31.43.1/24', ext4Bytes: 8 * 1024 ** 3 };
let hostD: NetnsEngine;
let work: string;
let docker: Docker;

interface Check {
  readonly check: string;
  readonly status: 'ok' | 'warn' | 'fail' | 'skip';
  readonly detail: string;
  readonly fix?: string;
}

const gyre = (args: readonly string[]) => gyreIn(work, [...args, '--host', hostD.tcpUrl]);

function doctor(): { code: number | null; checks: Check[]; healthy: boolean } {
  const run = gyre(['doctor', '--json']);
  expect(run.stderr).toBe('');
  const answer = JSON.parse(run.stdout) as { healthy: boolean; checks: Check[] };
  return { code: run.code, ...answer };
}

const failed = (checks: readonly Check[]) => checks.filter((c) => c.status === 'fail').map((c) => c.check);
const container = (service: string) => docker.getContainer(`gyre-services-${service}-1`);

async function inApp(argv: readonly string[]): Promise<void> {
  const exec = await container('app').exec({ Cmd: [...argv], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  stream.resume();
  await new Promise((resolve) => stream.on('end', resolve));
  // The engine records the exit a moment after the stream ends.
  let info = await exec.inspect();
  for (let tries = 0; info.Running && tries < 100; tries += 1) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    info = await exec.inspect();
  }
  expect(info.ExitCode).toBe(0);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'gyre-doctor-'));
  hostD = await startNetnsEngine(D);
  docker = new Docker({ socketPath: hostD.socketPath });
  await initInstallFolder(work, ['--hostname', `${D.subnet}.2`, '--self-signed-tls']);
  const up = gyre(['up']);
  expect(up.stderr).toBe('');
  expect(up.code).toBe(0);
}, 900_000);

afterAll(async () => {
  if (hostD) gyre(['down', '--volumes', '--yes']);
  await hostD?.stop();
  rmSync(work, { recursive: true, force: true });
}, 600_000);

describe('gyre doctor', () => {
  it('passes a fresh install, warning of what is missing: a builder and a backup', () => {
    const fresh = doctor();
    expect(fresh.code).toBe(0);
    expect(fresh.healthy).toBe(true);
    expect(Object.fromEntries(fresh.checks.map((c) => [c.check, c.status]))).toEqual({
      services: 'ok',
      database: 'ok',
      'data disk': 'ok',
      'database disk': 'ok',
      'blob store': 'ok',
      certificate: 'ok',
      builders: 'warn',
      clocks: 'skip',
      'join secret': 'ok',
      github: 'skip',
      'webhook deliveries': 'ok',
      backup: 'warn',
    });
    const text = gyre(['doctor']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^WARN {2}builders: no builder has joined: jobs wait\n {6}fix: join one/m);
  }, 300_000);

  it('names a stopped database with its fix, and passes again once it runs', async () => {
    await container('db').stop();
    const broken = doctor();
    expect(broken.code).toBe(1);
    expect(failed(broken.checks)).toEqual(['services', 'database', 'database disk']);
    const database = broken.checks.find((c) => c.check === 'database')!;
    expect(database.detail).toBe('the app cannot reach its database');
    expect(database.fix).toContain('gyre up');
    expect(broken.checks.find((c) => c.check === 'services')!.detail).toContain('db is exited');
    await container('db').start();
    // The app finds its database again on its next connection.
    for (let tries = 0; tries < 60 && doctor().code !== 0; tries += 1) await new Promise((r) => setTimeout(r, 1_000));
    expect(doctor().code).toBe(0);
  }, 300_000);

  it('names a full data disk with its fix, and passes again once there is room', async () => {
    // Fill the file system the data volume lives on, leaving less than the 1 GiB a disk needs.
    await inApp([
      'sh',
      '-c',
      'fallocate -l "$(( $(df -Pk /var/lib/gyre | awk \'NR==2 {print $4}\') * 1024 - 200*1024*1024 ))" /var/lib/gyre/fill',
    ]);
    const full = doctor();
    expect(full.code).toBe(1);
    const disk = full.checks.find((c) => c.check === 'data disk')!;
    expect(disk.status).toBe('fail');
    expect(disk.detail).toMatch(/^the data volume \(blobs, git mirrors\): only \d+(\.\d+)? MiB free/);
    expect(disk.fix).toContain('GYRE_ARTIFACT_MAX_AGE_DAYS');
    // The space shows as free once the file system has committed the removal: sync, and look again.
    await inApp(['sh', '-c', 'rm /var/lib/gyre/fill && sync']);
    let roomy = doctor().checks.find((c) => c.check === 'data disk')!;
    for (let tries = 0; roomy.status !== 'ok' && tries < 30; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      roomy = doctor().checks.find((c) => c.check === 'data disk')!;
    }
    expect(roomy).toMatchObject({ status: 'ok' });
  }, 300_000);

  it('sees scheduled backups: the app dumps its database on the schedule, and a copy of the set verifies', async () => {
    // GIVEN a backup every minute, kept two at a time
    writeFileSync(join(work, '.env'), `\nGYRE_BACKUP_SCHEDULE=* * * * *\nGYRE_BACKUP_KEEP=2\n`, { flag: 'a' });
    const up = gyre(['up']);
    expect(up.code).toBe(0);

    // WHEN the next minute's backup has run in the app container (pg_dump of the app image)
    let backup: Check | undefined;
    for (let tries = 0; tries < 60; tries += 1) {
      backup = doctor().checks.find((c) => c.check === 'backup');
      if (backup?.status !== 'warn') break;
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    }

    // THEN doctor names it as the last backup, read back
    expect(backup).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(
        /^\/var\/lib\/gyre\/backups\/\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-00Z, 0 day\(s\) old, verified$/,
      ),
    });
    // AND a copy of the set, as the Backups page says to make it, passes `gyre backup verify`
    const copy = join(work, 'copied');
    execFileSync('mkdir', ['-p', copy]);
    const tar = await container('app').getArchive({ path: '/var/lib/gyre/backups' });
    const archive = join(work, 'backups.tar');
    const chunks: Buffer[] = [];
    for await (const chunk of tar) chunks.push(chunk as Buffer);
    writeFileSync(archive, Buffer.concat(chunks));
    execFileSync('tar', ['-xf', archive, '-C', copy]);
    const verified = gyre(['backup', 'verify', join(copy, 'backups')]);
    expect(verified.stderr).toBe('');
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/restored: \d+ tables, \d+ rows, as the manifest says/);
  }, 600_000);

  it('names an expired certificate with its fix', async () => {
    // A certificate for the same name that expired in 2021, served in place of the good one.
    const ca = join(work, 'expired');
    execFileSync('mkdir', ['-p', ca]);
    writeFileSync(join(ca, 'index.txt'), '');
    writeFileSync(join(ca, 'serial'), '01\n');
    writeFileSync(
      join(ca, 'ca.cnf'),
      `[ca]\ndefault_ca = d\n[d]\ndatabase = ${ca}/index.txt\nnew_certs_dir = ${ca}\nserial = ${ca}/serial\ndefault_md = sha256\npolicy = p\ncopy_extensions = copy\n[p]\ncommonName = supplied\n[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = ${D.subnet}.2\n`,
    );
    execFileSync(
      'openssl',
      [
        'req',
        '-new',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(ca, 'key.pem'),
        '-out',
        join(ca, 'req.csr'),
        '-config',
        join(ca, 'ca.cnf'),
        '-addext',
        `subjectAltName=IP:${D.subnet}.2`,
      ],
      { stdio: 'ignore' },
    );
    execFileSync(
      'openssl',
      [
        'ca',
        '-batch',
        '-selfsign',
        '-notext',
        '-config',
        join(ca, 'ca.cnf'),
        '-keyfile',
        join(ca, 'key.pem'),
        '-in',
        join(ca, 'req.csr'),
        '-out',
        join(ca, 'cert.pem'),
        '-startdate',
        '20200101000000Z',
        '-enddate',
        '20210101000000Z',
      ],
      { stdio: 'ignore' },
    );
    // Written over the files the stack mounts, then the app restarted to serve them.
    execFileSync('cp', [join(ca, 'cert.pem'), join(work, 'tls/cert.pem')]);
    execFileSync('cp', [join(ca, 'key.pem'), join(work, 'tls/key.pem')]);
    await container('app').restart();
    let expired: Check | undefined;
    for (let tries = 0; tries < 60; tries += 1) {
      expired = doctor().checks.find((c) => c.check === 'certificate');
      if (expired?.status === 'fail' && expired.detail.includes('expired')) break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    expect(expired).toMatchObject({
      status: 'fail',
      detail: `the certificate of ${D.subnet}.2 expired at 2021-01-01T00:00:00.000Z`,
      fix: expect.stringContaining('GYRE_TLS_CERT_FILE'),
    });
    expect(doctor().code).toBe(1);
  }, 300_000);
});
