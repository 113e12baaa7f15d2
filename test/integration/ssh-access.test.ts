import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { generateEd25519Key } from '../../src/builder/agent/ssh/host-key.js';
import type { Caller, ProjectRole } from '../../src/services/core/access/project-roles.js';
import { GitHubSshKeys } from '../../src/services/features/ssh/github-ssh-keys.js';
import { SshReruns } from '../../src/services/features/ssh/ssh-reruns.js';
import { createDatabasePool, type Database } from '../../src/services/database/create-pool.js';
import { UserSshKeys } from '../../src/services/stores/accounts/user-ssh-keys.js';
import { SshAttempts } from '../../src/services/stores/jobs/ssh-attempts.js';
import { startGitHubDouble, type GitHubDouble } from '../support/github-double.js';
import { startServicesUnderTest, type ServicesUnderTest } from '../support/services-under-test.js';
import { opensshFingerprints, sshKeyText } from '../support/ssh-key-fixtures.js';
import { until } from '../support/until.js';

// GIVEN the services box's database with four accounts (ada and bob, who uploaded keys or none;
// octo, who signs in with GitHub as `octo-on-github` and uploaded none; root, an administrator)
// and the GitHub API double, WHEN a rerun with SSH asks who may connect, THEN it is the account
// that asked (while it is a member of the job's project) and every administrator, each with its
// uploaded keys, plus GitHub's keys of GitHub accounts, found by GitHub id and never by Gyre
// login; a key another account uploaded is never listed under a GitHub account; an account with
// no key may not ask; a GitHub that stops answering leaves the keys it last listed, and one that
// says the user is gone takes them away.

let gyre: ServicesUnderTest;
let github: GitHubDouble;
let db: Database;
const ids: Record<string, number> = {};
const ED25519 = sshKeyText('ed25519.pub').trim();
const RSA = sshKeyText('rsa-pem.pub').trim();
/** A key only GitHub lists (octo's), without a comment, as GitHub lists keys. */
const newKey = () => generateEd25519Key().public.trim().split(' ').slice(0, 2).join(' ');
const OCTO_ON_GITHUB = newKey();
/** A stranger's key, listed on GitHub under the name that is octo's login in Gyre. */
const STRANGER = newKey();
const OCTO_GITHUB_ID = 583231;
const HOLD = { idleMs: 600_000, maxMs: 7_200_000 };
const JOB = 12;
/** Each account's role in the job's project (ProjectAccess is tested on its own). */
const roles = new Map<number, ProjectRole>();

function reruns(apiUrl: () => string | undefined, keys?: GitHubSshKeys): SshReruns {
  const github =
    keys ??
    new GitHubSshKeys({
      githubApp: () => {
        const url = apiUrl();
        return Promise.resolve(url === undefined ? undefined : { apiUrl: url });
      },
      tokenOf: () => Promise.resolve(undefined),
      logger: pino({ level: 'silent' }),
    });
  const access = { roleIn: (caller: Caller) => Promise.resolve(roles.get(caller.userId!)) };
  return new SshReruns(db, new SshAttempts(db), github, access, HOLD);
}

const accountsOf = async (ssh: SshReruns, requester: number | null) =>
  (await ssh.leaseSsh(JOB, requester)).keys.map((key) => key.account);

beforeAll(async () => {
  [gyre, github] = await Promise.all([startServicesUnderTest(), startGitHubDouble()]);
  db = createDatabasePool(gyre.database.url, pino({ level: 'silent' }));
  gyre.createAccount('ada', 'correct horse battery');
  gyre.createAccount('bob', 'another long password');
  gyre.createAccount('octo', 'a password octo never uses');
  gyre.createAccount('root', 'the admin password', { admin: true });
  const { rows } = await db.query<{ id: string; login: string }>('SELECT id, login FROM users');
  for (const row of rows) ids[row.login] = Number(row.id);
  for (const login of ['ada', 'bob', 'octo']) roles.set(ids[login]!, 'member');
  await db.query('UPDATE users SET github_id = $2 WHERE login = $1', ['octo', OCTO_GITHUB_ID]);
  const keys = new UserSshKeys(db);
  await keys.add(ids['ada']!, 'ada', { key: ED25519 });
  await keys.add(ids['root']!, 'root', { key: RSA });
  github.users.set(OCTO_GITHUB_ID, 'octo-on-github');
  // GitHub lists octo's own key, and also ada's: one that another account uploaded.
  github.publicKeys.set('octo-on-github', [OCTO_ON_GITHUB, ED25519]);
  github.publicKeys.set('octo', [STRANGER]);
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
    expect(await ssh.leaseSsh(JOB, ids['ada']!)).toEqual({
      keys: [
        { publicKey: ED25519, fingerprint: ed25519, account: 'ada' },
        { publicKey: RSA, fingerprint: rsa, account: 'root' },
      ],
      idleSeconds: 600,
      maxSeconds: 7200,
    });
    // Octo's keys are those of GitHub user 583231, named as octo; not those of GitHub's "octo"
    const forOcto = await ssh.leaseSsh(JOB, ids['octo']!);
    expect(forOcto.keys).toEqual([
      { publicKey: RSA, fingerprint: rsa, account: 'root' },
      { publicKey: OCTO_ON_GITHUB, fingerprint: expect.stringMatching(/^SHA256:/), account: 'octo' },
    ]);
    expect(forOcto.keys.some((key) => key.publicKey === STRANGER)).toBe(false);
  });

  it('keeps out an account that asked once it is no longer a member, or is gone', async () => {
    roles.set(ids['ada']!, 'viewer');
    expect(
      await accountsOf(
        reruns(() => github.apiUrl),
        ids['ada']!,
      ),
    ).toEqual(['root']);
    // Seen a member once, it stays one for a while when its role reads as none (GitHub not answering)
    roles.set(ids['ada']!, 'member');
    const ssh = reruns(() => github.apiUrl);
    expect(await accountsOf(ssh, ids['ada']!)).toEqual(['ada', 'root']);
    roles.set(ids['ada']!, 'viewer');
    expect(await accountsOf(ssh, ids['ada']!)).toEqual(['ada', 'root']);
    roles.set(ids['ada']!, 'member');
    // The account that asked was removed: administrators still may connect
    expect(await accountsOf(ssh, null)).toEqual(['root']);
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

  it('keeps the GitHub keys it last read while GitHub does not answer, drops them once GitHub says the user is gone, and has none before it ever answered', async () => {
    let now = 0;
    let apiUrl = github.apiUrl;
    const keys = new GitHubSshKeys({
      githubApp: () => Promise.resolve({ apiUrl }),
      tokenOf: () => Promise.resolve(undefined),
      logger: pino({ level: 'silent' }),
      now: () => now,
    });
    const ssh = reruns(() => apiUrl, keys);
    expect(await accountsOf(ssh, ids['octo']!)).toEqual(['root', 'octo']);
    // Nothing answers there: the keys GitHub last listed stand, answered at once while it is asked again
    apiUrl = 'http://127.0.0.1:9/api/v3';
    now += 61_000;
    for (let i = 0; i < 3; i++) expect(await accountsOf(ssh, ids['octo']!)).toEqual(['root', 'octo']);
    // GitHub answers that the user is gone: no keys, once the read in the background has ended
    apiUrl = github.apiUrl;
    github.users.delete(OCTO_GITHUB_ID);
    await until('the keys of a user GitHub no longer knows to go', async () =>
      (await accountsOf(ssh, ids['octo']!)).includes('octo') ? undefined : true,
    );
    github.users.set(OCTO_GITHUB_ID, 'octo-on-github');
    // A cache GitHub never answered: no GitHub keys, and no rerun with SSH for octo
    apiUrl = 'http://127.0.0.1:9/api/v3';
    expect(
      await accountsOf(
        reruns(() => apiUrl),
        ids['octo']!,
      ),
    ).toEqual(['root']);
    await expect(reruns(() => apiUrl).requesterFor({ name: 'octo', userId: ids['octo']! })).rejects.toMatchObject({
      code: 'no_ssh_keys',
    });
    // Without a GitHub app set up, nobody has GitHub keys
    expect(
      await accountsOf(
        reruns(() => undefined),
        ids['octo']!,
      ),
    ).toEqual(['root']);
  });
});
