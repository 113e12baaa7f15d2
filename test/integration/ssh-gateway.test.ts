import { connect } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Docker from 'dockerode';
import ssh2 from 'ssh2';
import { generateEd25519Key } from '../../src/builder/agent/ssh/host-key.js';
import { SshGateway, type SessionEvent, type SshTarget } from '../../src/builder/agent/ssh/ssh-gateway.js';
import { freePort } from '../../src/testing/free-port.js';
import { POSTGRES_IMAGE } from '../support/postgres.js';
import { connectHost } from '../../src/orchestrator/hosts.js';
import { opensshFingerprints, sshKeyText } from '../support/ssh-key-fixtures.js';
import { settingsFrom } from '../support/settings.js';
import { until } from '../support/until.js';
import { OpenSshClient, runProgram, type ClientKey } from '../support/openssh-client.js';

// GIVEN a job's primary container on the local Docker Engine, holding a file a failed step left,
// and the agent's SSH gateway allowing one account's key into it as `job-7`, WHEN people connect
// with Debian's OpenSSH client, THEN the allowed key lands in the container's working directory
// with the job's environment, a terminal when asked for, and the exit code passed back; another
// key and another job are refused; revoking the job ends its sessions.

const IMAGE = settingsFrom({}).images.baseDebian;
const docker = new Docker();
let container: Docker.Container;
let service: Docker.Container;
let allowedTarget: SshTarget;
let gateway: SshGateway;
let port: number;
let openssh: OpenSshClient;
const events: SessionEvent[] = [];

function ssh(key: ClientKey, user: string, command: string, options: readonly string[] = []) {
  return openssh.ssh(key, user, command, options);
}

/** Whether the gateway refuses a forward to `host`:`destPort`, asked by ssh2's client with the allowed key. */
function forwardRefused(host: string, destPort: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.once('error', reject);
    client.once('ready', () =>
      client.forwardOut('127.0.0.1', 0, host, destPort, (error, channel) => {
        channel?.destroy();
        client.end();
        resolve(error !== undefined);
      }),
    );
    client.connect({ host: '127.0.0.1', port, username: 'job-7', privateKey: sshKeyText('ed25519.key') });
  });
}

/** What a server on 127.0.0.1:`port` answers `send` with first; '' when it closes (or resets) without a byte. */
function firstBytes(port: number, send: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(send));
    socket.setTimeout(5_000, () => socket.destroy(new Error('no answer within 5 s')));
    socket.once('data', (data) => {
      resolve(data.toString('latin1'));
      socket.destroy();
    });
    socket.once('close', () => resolve(''));
    socket.once('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? resolve('') : reject(error)));
  });
}

beforeAll(async () => {
  openssh = new OpenSshClient(() => port);
  container = await docker.createContainer({
    Image: IMAGE,
    Cmd: ['sleep', '600'],
    Labels: { 'io.gyre.test': 'ssh-gateway' },
    HostConfig: { AutoRemove: true },
  });
  await container.start();
  const exec = await container.exec({
    Cmd: ['sh', '-c', 'mkdir -p /work && echo left by the failed step > /work/report.txt'],
  });
  await exec.start({});
  // A service container of the job: PostgreSQL, as `db`
  service = await docker.createContainer({
    Image: POSTGRES_IMAGE,
    Env: ['POSTGRES_USER=gyre', 'POSTGRES_PASSWORD=pw', 'POSTGRES_DB=gyre'],
    Labels: { 'io.gyre.test': 'ssh-gateway' },
    HostConfig: { AutoRemove: true },
  });
  await service.start();
  const serviceAddress = (await service.inspect()).NetworkSettings.Networks['bridge']!.IPAddress;
  const { docker: client } = await connectHost(undefined);
  const hostKey = generateEd25519Key().private;
  gateway = new SshGateway(client.containers, hostKey, (event) => events.push(event));
  port = await gateway.listen(0, '127.0.0.1');
  allowedTarget = {
    container: container.id,
    workdir: '/work',
    env: ['CIRCLE_JOB=build'],
    services: { db: serviceAddress },
    keys: [
      {
        publicKey: sshKeyText('ed25519.pub').trim(),
        fingerprint: opensshFingerprints('ed25519.key').sha256,
        account: 'ada',
      },
    ],
  };
  gateway.allow('job-7', allowedTarget);
}, 120_000);

afterAll(async () => {
  await gateway?.close();
  await container?.kill().catch(() => undefined);
  await service?.kill().catch(() => undefined);
  openssh?.remove();
});

describe("the agent's SSH gateway", () => {
  it("lands the allowed key in the job's container: its working directory, its environment, the file the step left", async () => {
    const run = await ssh('ed25519.key', 'job-7', 'cat report.txt; echo "$CIRCLE_JOB"; pwd');
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('left by the failed step\nbuild\n/work\n');
    expect(run.status).toBe(0);
    const fingerprint = opensshFingerprints('ed25519.key').sha256;
    const what = 'cat report.txt; echo "$CIRCLE_JOB"; pwd';
    expect(events.slice(-2)).toEqual([
      { kind: 'start', job: 'job-7', account: 'ada', fingerprint, what },
      { kind: 'end', job: 'job-7', account: 'ada', fingerprint, what, exitCode: 0 },
    ]);
  }, 60_000);

  it('passes exit codes and stderr back, and gives a terminal when asked', async () => {
    const failed = await ssh('ed25519.key', 'job-7', 'echo to stderr >&2; exit 3');
    expect(failed.status).toBe(3);
    expect(failed.stderr).toBe('to stderr\n');
    const terminal = await ssh('ed25519.key', 'job-7', 'tty', ['-tt']);
    expect(terminal.stdout).toMatch(/^\/dev\/pts\/\d+\r?\n/);
  }, 60_000);

  it('refuses another key, and a job it does not serve', async () => {
    const stranger = await ssh('rsa-pem.key', 'job-7', 'true');
    expect(stranger.status).toBe(255);
    expect(stranger.stderr).toContain('Permission denied (publickey)');
    const elsewhere = await ssh('ed25519.key', 'job-8', 'true');
    expect(elsewhere.status).toBe(255);
    expect(elsewhere.stderr).toContain('Permission denied (publickey)');
  }, 60_000);

  it('copies files out and in with scp, and lists a folder with sftp', async () => {
    const local = mkdtempSync(join(tmpdir(), 'gyre-scp-'));
    try {
      // Out: the report the step left, by its path relative to the working directory
      const out = await runProgram('scp', [
        ...openssh.options('ed25519.key', '-P'),
        'job-7@127.0.0.1:report.txt',
        join(local, 'report.txt'),
      ]);
      expect(out.stderr).toBe('');
      expect(out.status).toBe(0);
      expect(readFileSync(join(local, 'report.txt'), 'utf8')).toBe('left by the failed step\n');
      // In: a file lands in the container
      writeFileSync(join(local, 'fix.sh'), 'echo patched\n');
      const into = await runProgram('scp', [
        ...openssh.options('ed25519.key', '-P'),
        join(local, 'fix.sh'),
        'job-7@127.0.0.1:/work/fix.sh',
      ]);
      expect(into.status).toBe(0);
      expect((await ssh('ed25519.key', 'job-7', 'sh fix.sh')).stdout).toBe('patched\n');
      // A listing of the working directory
      writeFileSync(join(local, 'batch'), 'ls -1 /work\n');
      const listed = await runProgram('sftp', [
        ...openssh.options('ed25519.key', '-P'),
        '-b',
        join(local, 'batch'),
        'job-7@127.0.0.1',
      ]);
      expect(listed.status).toBe(0);
      expect(listed.stdout).toContain('/work/report.txt');
      expect(listed.stdout).toContain('/work/fix.sh');
      // A file that is not there is the client's "no such file"
      const missing = await runProgram('scp', [
        ...openssh.options('ed25519.key', '-P'),
        'job-7@127.0.0.1:nothing.txt',
        local,
      ]);
      expect(missing.status).toBe(1);
      expect(missing.stderr).toMatch(/No such file/);
    } finally {
      rmSync(local, { recursive: true, force: true });
    }
  }, 60_000);

  it("forwards a local port to the job's service container by its name, and nowhere else", async () => {
    const [toDb, elsewhere] = [await freePort(), await freePort()];
    const tunnel = runProgram('ssh', [
      ...openssh.options('ed25519.key'),
      '-N',
      '-L',
      `127.0.0.1:${toDb}:db:5432`,
      '-L',
      // The gateway's own port: it listens (a forward there would read its banner), but it is no service
      `127.0.0.1:${elsewhere}:127.0.0.1:${port}`,
      'job-7@127.0.0.1',
    ]);
    try {
      // PostgreSQL answers an SSL request with one byte, N or S, once it runs
      const answer = await until('PostgreSQL through the tunnel', async () => {
        const reply = await firstBytes(toDb, Buffer.from([0, 0, 0, 8, 4, 210, 22, 47])).catch(() => '');
        return reply.length > 0 ? reply : undefined;
      });
      expect(['N', 'S']).toContain(answer.slice(0, 1));
      // Anything else: the tunnel opens nothing, the connection just ends
      expect(await firstBytes(elsewhere, Buffer.from('SSH-2.0-probe\r\n'))).toBe('');
      // A name the services object has only through its prototype is no service either
      expect(await forwardRefused('constructor', port)).toBe(true);
      expect(events).toContainEqual(expect.objectContaining({ kind: 'start', what: 'forward to db:5432' }));
      expect(await firstBytes(port, Buffer.from('SSH-2.0-probe\r\n'))).toMatch(/^SSH-2\.0-Gyre/);
    } finally {
      gateway.revoke('job-7');
      await tunnel;
      gateway.allow('job-7', allowedTarget);
    }
  }, 90_000);

  it('ends open sessions when the job is revoked', async () => {
    const waiting = ssh('ed25519.key', 'job-7', 'sleep 120');
    await until('the command to start', () =>
      events.some((e) => e.kind === 'start' && e.what === 'sleep 120') ? true : undefined,
    );
    expect(gateway.connected('job-7')).toBe(1);
    const revoked = Date.now();
    gateway.revoke('job-7');
    await waiting;
    expect(Date.now() - revoked).toBeLessThan(10_000);
    // Its end is reported, though the command never finished
    await until('the end of the session to be reported', () =>
      events.some((e) => e.kind === 'end' && e.what === 'sleep 120') ? true : undefined,
    );
    expect((await ssh('ed25519.key', 'job-7', 'true')).status).toBe(255);
  }, 60_000);
});
