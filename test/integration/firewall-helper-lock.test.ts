import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import Docker from 'dockerode';
import { DockerJobBackend } from '../../src/docker/index.js';
import { until } from '../support/until.js';

// GIVEN the local engine (on this host, so a file here is on the engine's host) and Gyre's image,
// whose firewall helper writes the egress rules with the iptables the engine uses; and a lock
// file of the test's own in place of the host's /run/xtables.lock, which other programs use.
const folder = mkdtempSync(join(tmpdir(), 'gyre-xtables-'));
const LOCK = join(folder, 'xtables.lock');
const backend = new DockerJobBackend(new Docker(), LOCK);
const APP_IMAGE = 'gyre/app:0.1.0';
const LABELS = { 'io.gyre.test': 'firewall-helper-lock' };
const helper = (script: string) => backend.runHostFirewall(APP_IMAGE, script, LABELS);
const PROBE = 'flock -n /run/xtables.lock true && echo free || echo held';
/** The process group holding the lock, while it does. */
let holder: ChildProcess | undefined;

afterAll(() => {
  // A failed test may leave the holder; one whose `sleep` already ended is gone (ESRCH).
  if (holder?.exitCode === null && holder.signalCode === null) process.kill(-holder.pid!);
  rmSync(folder, { recursive: true, force: true });
});

describe("the firewall helper and iptables-legacy's lock", () => {
  it('runs where the host has no lock file, without making one', async () => {
    expect(await helper('test -e /run/xtables.lock && echo present || echo absent')).toBe('absent\n');
    expect(existsSync(LOCK)).toBe(false);
  }, 60_000);

  it("takes the host's lock, so it never rewrites a table while dockerd does", async () => {
    writeFileSync(LOCK, '');
    // WHEN the host holds the lock (as dockerd's iptables-legacy does while it writes). Its own
    // process group: `sleep` inherits the lock, so letting go means ending both.
    holder = spawn('flock', [LOCK, 'sleep', '60'], { stdio: 'ignore', detached: true });
    await until('the host to hold the lock', async () => (await exec(`flock -n ${LOCK} true`)) !== 0, {
      timeoutMs: 10_000,
      intervalMs: 50,
    });
    expect(await helper(PROBE)).toBe('held\n');
    process.kill(-holder.pid!);
    holder = undefined;
    await until('the host to let go of the lock', async () => (await exec(`flock -n ${LOCK} true`)) === 0, {
      timeoutMs: 10_000,
      intervalMs: 50,
    });
    expect(await helper(PROBE)).toBe('free\n');
  }, 60_000);
});

function exec(command: string): Promise<number> {
  return new Promise((resolve) =>
    spawn('sh', ['-c', command], { stdio: 'ignore' }).on('exit', (code) => resolve(code ?? 1)),
  );
}
