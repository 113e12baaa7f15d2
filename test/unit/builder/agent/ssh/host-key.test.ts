import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import ssh2 from 'ssh2';
import { generateEd25519Key, loadOrCreateHostKey } from '../../../../../src/builder/agent/ssh/host-key.js';
import { jobIdOfUser } from '../../../../../src/builder/agent/ssh/start-gateway.js';

// GIVEN a builder's state folder, WHEN the agent starts, THEN its SSH host key is made once, kept
// root-only, and the same key (and fingerprint) comes back at every later start.

describe('the builder SSH host key', () => {
  it('is made at the first start, readable by its owner only, and kept across starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gyre-host-key-'));
    const replaced: string[] = [];
    const first = await loadOrCreateHostKey(dir, (why) => replaced.push(why));
    const again = await loadOrCreateHostKey(dir, (why) => replaced.push(why));
    expect(first.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(again).toEqual(first);
    expect(statSync(join(dir, 'ssh_host_ed25519_key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'ssh_host_ed25519_key'), 'utf8')).toContain('OPENSSH PRIVATE KEY');
    expect(replaced).toEqual([]);
  });

  it('replaces a damaged key file and says why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gyre-host-key-'));
    writeFileSync(join(dir, 'ssh_host_ed25519_key'), 'not a key\n');
    const replaced: string[] = [];
    const key = await loadOrCreateHostKey(dir, (why) => replaced.push(why));
    expect(key.fingerprint).toMatch(/^SHA256:/);
    expect(replaced).toEqual([`${join(dir, 'ssh_host_ed25519_key')} does not hold an Ed25519 private key`]);
  });
});

describe('jobIdOfUser', () => {
  it.each([
    ['job-1', 1],
    ['job-1234', 1234],
    ['job-0', undefined],
    ['job-01', undefined],
    ['job-', undefined],
    ['root', undefined],
    ['job-12x', undefined],
  ])('%s → %s', (user, id) => {
    expect(jobIdOfUser(user)).toBe(id);
  });
});

describe('generateEd25519Key', () => {
  // ssh2 alone writes about one malformed key in 170; 500 keys would meet several.
  it('makes only keys that read back whole, with a 32-byte public key', () => {
    for (let i = 0; i < 500; i++) {
      const made = generateEd25519Key();
      const key = ssh2.utils.parseKey(made.private);
      expect(key instanceof Error ? key.message : key.getPublicSSH().length).toBe(51);
    }
  });
});
