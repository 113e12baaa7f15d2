import { describe, expect, it } from '@jest/globals';
import { GitError, HostPolicy, parseRepositoryUrl } from '../../../../src/services/git/index.js';

/** A resolver that answers from a table, as DNS would; unknown names do not resolve. */
const dns =
  (table: Record<string, string[]>) =>
  (host: string): Promise<string[]> =>
    table[host] ? Promise.resolve(table[host]) : Promise.reject(new Error(`ENOTFOUND ${host}`));

const OWN = ['172.18.0.3/16', '10.1.2.3/24'];
const policy = (allowed: string[] = [], table: Record<string, string[]> = {}) =>
  new HostPolicy({ allowed, ownNetworks: OWN, resolve: dns(table) });

async function refusal(check: Promise<unknown>): Promise<GitError> {
  const error = await check.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GitError);
  return error as GitError;
}

describe('HostPolicy', () => {
  it.each([
    'http://127.0.0.1:8080/a.git',
    'git://127.9.9.9/a.git',
    'https://[::1]/a.git',
    'https://[::ffff:127.0.0.1]/a.git',
    'http://169.254.169.254/latest/meta-data',
    'https://[fe80::1]/a.git',
    'http://0.0.0.0:5432/a.git',
    'git://172.18.0.2/a.git',
    'ssh://git@10.1.2.200/a.git',
    'git@[fe80::2]:a.git',
  ])('refuses %s: loopback, link-local or the services box own networks', async (url) => {
    const error = await refusal(policy().check(parseRepositoryUrl(url)));
    expect(error.kind).toBe('not-allowed');
    expect(error.message).toContain('GYRE_GIT_ALLOWED_HOSTS');
  });

  it('refuses a name by the address it resolves to, naming only the host', async () => {
    const error = await refusal(
      policy([], { 'metadata.evil.example': ['169.254.169.254'] }).check(
        parseRepositoryUrl('https://metadata.evil.example/a.git'),
      ),
    );
    expect(error.message).toMatch(/^The repository host metadata\.evil\.example is not allowed/);
    expect(error.message).not.toContain('169.254');
  });

  it('refuses a name when any of its addresses is refused', async () => {
    const table = { 'mixed.example': ['140.82.112.3', '127.0.0.1'] };
    expect((await refusal(policy([], table).check(parseRepositoryUrl('https://mixed.example/a.git')))).kind).toBe(
      'not-allowed',
    );
  });

  it('passes public addresses and answers the addresses it checked, to pin them', async () => {
    const table = { 'github.com': ['140.82.112.3'] };
    expect(await policy([], table).check(parseRepositoryUrl('https://github.com/a/b.git'))).toEqual(['140.82.112.3']);
    expect(await policy().check(parseRepositoryUrl('git://192.0.2.10/a.git'))).toEqual(['192.0.2.10']);
  });

  it('passes a name that does not resolve: git then fails on it as unreachable', async () => {
    expect(await policy().check(parseRepositoryUrl('https://nowhere.invalid/a.git'))).toEqual([]);
  });

  it('passes what an administrator listed: a name, an address or a range', async () => {
    const table = { 'git.internal': ['10.1.2.50'] };
    expect(await policy(['git.internal'], table).check(parseRepositoryUrl('ssh://git@git.internal/a.git'))).toEqual([]);
    expect(await policy(['127.0.0.1']).check(parseRepositoryUrl('git://127.0.0.1:9418/a.git'))).toEqual(['127.0.0.1']);
    expect(await policy(['172.18.0.0/16']).check(parseRepositoryUrl('git://172.18.0.2/a.git'))).toEqual(['172.18.0.2']);
    // An allowed address does not allow its neighbours.
    expect((await refusal(policy(['127.0.0.1']).check(parseRepositoryUrl('git://127.0.0.2/a.git')))).kind).toBe(
      'not-allowed',
    );
  });
});
