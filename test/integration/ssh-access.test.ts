import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import ssh2 from 'ssh2';
import { GitHubSshKeys } from '../../src/services/features/ssh/github-ssh-keys.js';
import { SshReruns } from '../../src/services/features/ssh/ssh-reruns.js';
import { createDatabasePool, type Database } from '../../src/services/database/create-pool.js';
import { UserSshKeys } from '../../src/services/stores/accounts/user-ssh-keys.js';
import { SshAttempts } from '../../src/services/stores/jobs/ssh-attempts.js';
import { startGitHubDouble, type GitHubDouble } from '../support/github-double.js';
import { startServicesUnderTest, type ServicesUnderTest } from '../support/services-under-test.js';
import { opensshFingerprints, sshKeyText } from '../support/ssh-key-fixtures.js';

// GIVEN the services box's database with four accounts (ada and bob with keys they uploaded,
// octo who signs in with GitHub and uploaded none, and root, an administrator) and the GitHub API
// double listing octo's public keys, WHEN a rerun with SSH asks who may connect, THEN it is the
// account that asked and every administrator, each with its uploaded keys, plus GitHub's keys of
// GitHub accounts; a key another account uploaded is never listed under a GitHub account; an
// account with no key at all may not ask; and a GitHub that does not answer gives no GitHub keys.

let gyre: ServicesUnderTest;
let github: GitHubDouble;
let db: Database;
const ids: Record<string, number> = {};
const ED25519 = sshKeyText('ed25519.pub').trim();
const RSA = sshKeyText('rsa-pem.pub').trim();
/** A key only GitHub lists (octo's), without a comment, as GitHub lists keys. */
const GITHUB_ONLY = ssh2.utils.generateKeyPairSync('ed25519').public.trim().split(' ').slice(0, 2).join(' ');
const HOLD = { idleMs: 600_000, maxMs: 7_200_000 };

function reruns(apiUrl: () => string | undefined): SshReruns {
  const keys = new GitHubSshKeys(
    () => {
      const url = apiUrl();
      return Promise.resolve(url === undefined ? undefined : { apiUrl: url });
    },
    pino({ level: 'silent' }),
  );
  return new SshReruns(db, new SshAttempts(db), keys, HOLD);
}

beforeAll(async () => {
  [gyre, github] = await Promise.all([startServicesUnderTest(), startGitHubDouble()]);
  db = createDatabasePool(gyre.database.url, pino({ level: 'silent' }));
  gyre.createAccount('ada', 'correct horse battery');
  gyre.createAccount('bob', 'another long password');
  gyre.createAccount('octo', 'a password octo never uses');
  gyre.createAccount('root', 'the admin password', { admin: true });
  const { rows } = await db.query<{ id: string; login: string }>('SELECT id, login FROM users');
  for (const row of rows) ids[row.login] = Number(row.id);
  await db.query('UPDATE users SET github_id = 583231 WHERE login = $1', ['octo']);
  const keys = new UserSshKeys(db);
  await keys.add(ids['ada']!, 'ada', { key: ED25519 });
  await keys.add(ids['root']!, 'root', { key: RSA });
  // GitHub lists octo's own key, and also ada's: one that another account uploaded.
  github.publicKeys.set('octo', [GITHUB_ONLY, ED25519]);
}, 300_000);

afterAll(async () => {
  await db?.end();
  await Promise.all([gyre?.stop(), github?.stop()]);
}, 120_000);

describe('who may connect to a rerun with SSH', () => {
  it("is the account that asked and the administrators, with their uploaded keys and GitHub accounts' GitHub keys", async () => {
    const ssh = reruns(() => github.apiUrl);
    const ed25519 = opensshFingerprints('ed25519.key').sha256;
    const rsa = opensshFingerprints('rsa-pem.key').sha256;
    expect(await ssh.leaseSsh(ids['ada']!)).toEqual({
      keys: [
        { publicKey: ED25519, fingerprint: ed25519, account: 'ada' },
        { publicKey: RSA, fingerprint: rsa, account: 'root' },
      ],
      idleSeconds: 600,
      maxSeconds: 7200,
    });
    const forOcto = await ssh.leaseSsh(ids['octo']!);
    expect(forOcto.keys).toEqual([
      { publicKey: RSA, fingerprint: rsa, account: 'root' },
      {
        publicKey: GITHUB_ONLY.replace(/ octo@github$/, ''),
        fingerprint: expect.stringMatching(/^SHA256:/),
        account: 'octo',
      },
    ]);
    // Bob is not an administrator: his account is in no one else's list
    expect(forOcto.keys.some((key) => key.account === 'bob')).toBe(false);
  });

  it('lets an account ask only when it has a key to connect with, and never through a token of no account', async () => {
    const ssh = reruns(() => github.apiUrl);
    expect(await ssh.requesterFor({ name: 'ada', userId: ids['ada']! })).toBe(ids['ada']);
    expect(await ssh.requesterFor({ name: 'octo', userId: ids['octo']! })).toBe(ids['octo']);
    await expect(ssh.requesterFor({ name: 'bob', userId: ids['bob']! })).rejects.toMatchObject({ code: 'no_ssh_keys' });
    await expect(ssh.requesterFor({ name: 'ci script', userId: null })).rejects.toMatchObject({
      code: 'ssh_needs_account',
    });
  });

  it('gives GitHub accounts no GitHub keys while GitHub is not set up or does not know them, failing closed', async () => {
    expect((await reruns(() => undefined).leaseSsh(ids['octo']!)).keys.map((key) => key.account)).toEqual(['root']);
    github.publicKeys.delete('octo');
    expect((await reruns(() => github.apiUrl).leaseSsh(ids['octo']!)).keys.map((key) => key.account)).toEqual(['root']);
    await expect(
      reruns(() => github.apiUrl).requesterFor({ name: 'octo', userId: ids['octo']! }),
    ).rejects.toMatchObject({
      code: 'no_ssh_keys',
    });
  });
});
