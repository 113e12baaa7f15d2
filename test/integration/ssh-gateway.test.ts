import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Docker from 'dockerode';
import ssh2 from 'ssh2';
import { SshGateway, type SessionEvent } from '../../src/builder/agent/ssh/ssh-gateway.js';
import { connectHost } from '../../src/orchestrator/hosts.js';
import { opensshFingerprints, sshKeyText } from '../support/ssh-key-fixtures.js';
import { settingsFrom } from '../support/settings.js';
import { until } from '../support/until.js';

// GIVEN a job's primary container on the local Docker Engine, holding a file a failed step left,
// and the agent's SSH gateway allowing one account's key into it as `job-7`, WHEN people connect
// with Debian's OpenSSH client, THEN the allowed key lands in the container's working directory
// with the job's environment, a terminal when asked for, and the exit code passed back; another
// key and another job are refused; revoking the job ends its sessions.

const IMAGE = settingsFrom({}).images.baseDebian;
const docker = new Docker();
let container: Docker.Container;
let gateway: SshGateway;
let port: number;
let keys: string;
const events: SessionEvent[] = [];

/** Runs one of OpenSSH's programs without blocking this process, which serves the other end. */
function run(
  program: string,
  args: readonly string[],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(program, args);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve) => child.once('close', (status) => resolve({ status, stdout, stderr })));
}

function ssh(key: 'ed25519.key' | 'rsa-pem.key', user: string, command: string, options: readonly string[] = []) {
  return run('ssh', [...clientOptions(key), ...options, `${user}@127.0.0.1`, command]);
}

/** The options every client here takes; scp and sftp name the port with -P. */
function clientOptions(key: 'ed25519.key' | 'rsa-pem.key', portFlag = '-p'): string[] {
  return [
    '-i',
    join(keys, key),
    portFlag,
    String(port),
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'BatchMode=yes',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'LogLevel=ERROR',
  ];
}

beforeAll(async () => {
  keys = mkdtempSync(join(tmpdir(), 'gyre-ssh-keys-'));
  for (const key of ['ed25519.key', 'rsa-pem.key'] as const) {
    writeFileSync(join(keys, key), sshKeyText(key));
    chmodSync(join(keys, key), 0o600);
  }
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
  const { docker: client } = await connectHost(undefined);
  const hostKey = ssh2.utils.generateKeyPairSync('ed25519').private;
  gateway = new SshGateway(client.containers, hostKey, (event) => events.push(event));
  port = await gateway.listen(0, '127.0.0.1');
  gateway.allow('job-7', {
    container: container.id,
    workdir: '/work',
    env: ['CIRCLE_JOB=build'],
    keys: [
      {
        publicKey: sshKeyText('ed25519.pub').trim(),
        fingerprint: opensshFingerprints('ed25519.key').sha256,
        account: 'ada',
      },
    ],
  });
}, 120_000);

afterAll(async () => {
  await gateway?.close();
  await container?.kill().catch(() => undefined);
  rmSync(keys, { recursive: true, force: true });
});

describe("the agent's SSH gateway", () => {
  it("lands the allowed key in the job's container: its working directory, its environment, the file the step left", async () => {
    const run = await ssh('ed25519.key', 'job-7', 'cat report.txt; echo "$CIRCLE_JOB"; pwd');
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('left by the failed step\nbuild\n/work\n');
    expect(run.status).toBe(0);
    expect(events.slice(-2)).toEqual([
      { kind: 'start', job: 'job-7', account: 'ada', fingerprint: opensshFingerprints('ed25519.key').sha256 },
      {
        kind: 'end',
        job: 'job-7',
        account: 'ada',
        fingerprint: opensshFingerprints('ed25519.key').sha256,
        exitCode: 0,
      },
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
      const out = await run('scp', [
        ...clientOptions('ed25519.key', '-P'),
        'job-7@127.0.0.1:report.txt',
        join(local, 'report.txt'),
      ]);
      expect(out.stderr).toBe('');
      expect(out.status).toBe(0);
      expect(readFileSync(join(local, 'report.txt'), 'utf8')).toBe('left by the failed step\n');
      // In: a file lands in the container
      writeFileSync(join(local, 'fix.sh'), 'echo patched\n');
      const into = await run('scp', [
        ...clientOptions('ed25519.key', '-P'),
        join(local, 'fix.sh'),
        'job-7@127.0.0.1:/work/fix.sh',
      ]);
      expect(into.status).toBe(0);
      expect((await ssh('ed25519.key', 'job-7', 'sh fix.sh')).stdout).toBe('patched\n');
      // A listing of the working directory
      writeFileSync(join(local, 'batch'), 'ls -1 /work\n');
      const listed = await run('sftp', [
        ...clientOptions('ed25519.key', '-P'),
        '-b',
        join(local, 'batch'),
        'job-7@127.0.0.1',
      ]);
      expect(listed.status).toBe(0);
      expect(listed.stdout).toContain('/work/report.txt');
      expect(listed.stdout).toContain('/work/fix.sh');
      // A file that is not there is the client's "no such file"
      const missing = await run('scp', [...clientOptions('ed25519.key', '-P'), 'job-7@127.0.0.1:nothing.txt', local]);
      expect(missing.status).toBe(1);
      expect(missing.stderr).toMatch(/No such file/);
    } finally {
      rmSync(local, { recursive: true, force: true });
    }
  }, 60_000);

  it('ends open sessions when the job is revoked', async () => {
    const waiting = ssh('ed25519.key', 'job-7', 'sleep 120');
    await until('the session to open', () => (gateway.connected('job-7') === 1 ? true : undefined));
    const revoked = Date.now();
    gateway.revoke('job-7');
    await waiting;
    expect(Date.now() - revoked).toBeLessThan(10_000);
    expect((await ssh('ed25519.key', 'job-7', 'true')).status).toBe(255);
  }, 60_000);
});
