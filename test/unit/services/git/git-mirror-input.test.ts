import { describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { GitError, GitMirror } from '../../../../src/services/git/index.js';
import { gitEnvironment } from '../../../../src/services/git/run-git.js';

const cacheDir = join(tmpdir(), `gyre-git-unit-${process.pid}-never-created`);
const mirror = new GitMirror({ cacheDir, logger: pino({ level: 'silent' }) });
const SHA = 'c'.repeat(40);
const at = (gitUrl: string) => ({ scope: 'project:1/credential:none', gitUrl });

async function kindOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GitError);
  return (error as GitError).kind;
}

describe('GitMirror input checks', () => {
  it('refuses dangerous URLs, shas, paths and branches before running git or touching the cache', async () => {
    expect(await kindOf(mirror.readFile(at('ext::sh -c id'), SHA, 'a'))).toBe('invalid-url');
    expect(await kindOf(mirror.readFile(at('fd::0'), SHA, 'a'))).toBe('invalid-url');
    expect(await kindOf(mirror.readFile(at('file:///etc'), SHA, 'a'))).toBe('invalid-url');
    expect(await kindOf(mirror.readFile(at('https://github.com/a/b'), '--all', 'a'))).toBe('invalid-argument');
    expect(await kindOf(mirror.readFile(at('https://github.com/a/b'), SHA, '../../etc/passwd'))).toBe(
      'invalid-argument',
    );
    expect(await kindOf(mirror.resolveBranch(at('--upload-pack=id'), 'main'))).toBe('invalid-url');
    expect(await kindOf(mirror.resolveBranch(at('https://github.com/a/b'), '--exec=id'))).toBe('invalid-argument');
    expect(existsSync(cacheDir)).toBe(false);
  });
});

describe('gitEnvironment', () => {
  it('keeps the process environment (CA bundle, proxy) and forbids prompts and other transports', () => {
    const env = gitEnvironment(
      {
        GIT_SSL_CAINFO: '/etc/ssl/certs/ca-certificates.crt',
        https_proxy: 'http://proxy:3128',
        GIT_TERMINAL_PROMPT: '1',
      },
      false,
    );
    expect(env).toMatchObject({
      GIT_SSL_CAINFO: '/etc/ssl/certs/ca-certificates.crt',
      https_proxy: 'http://proxy:3128',
      GIT_TERMINAL_PROMPT: '0',
      GIT_ALLOW_PROTOCOL: 'https:http:ssh:git',
      GIT_SSH_COMMAND: 'ssh -o BatchMode=yes',
    });
    expect(gitEnvironment({}, true).GIT_ALLOW_PROTOCOL).toBe('https:http:ssh:git:file');
  });

  it("leaves an admin's own ssh command alone", () => {
    expect(gitEnvironment({ GIT_SSH_COMMAND: 'ssh -i /keys/deploy' }, false).GIT_SSH_COMMAND).toBe(
      'ssh -i /keys/deploy',
    );
    expect(gitEnvironment({ GIT_SSH: '/usr/local/bin/my-ssh' }, false).GIT_SSH_COMMAND).toBeUndefined();
  });
});
