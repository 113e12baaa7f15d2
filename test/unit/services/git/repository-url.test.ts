import { describe, expect, it } from '@jest/globals';
import {
  GitError,
  mirrorDirectoryName,
  parseRepositoryUrl,
  redactSecretsInText,
} from '../../../../src/services/git/index.js';
import { hideUrlUserInfo } from '../../../../src/shared/git-credential.js';

const rejection = (input: string, options = {}): GitError => {
  try {
    parseRepositoryUrl(input, options);
  } catch (error) {
    expect(error).toBeInstanceOf(GitError);
    return error as GitError;
  }
  throw new Error(`${input} was accepted`);
};

describe('parseRepositoryUrl', () => {
  it.each([
    ['https://github.com/gyre/app.git', 'https', 'https://github.com/gyre/app', 'github.com', 443],
    ['HTTPS://GitHub.com:443/gyre/app/', 'https', 'https://github.com/gyre/app', 'github.com', 443],
    ['http://git.internal:8080/gyre/app', 'http', 'http://git.internal:8080/gyre/app', 'git.internal', 8080],
    ['ssh://git@github.com/gyre/app.git', 'ssh', 'ssh://github.com/gyre/app', 'github.com', 22],
    ['ssh://git@GitHub.com:22/gyre/app.git', 'ssh', 'ssh://github.com/gyre/app', 'github.com', 22],
    ['git@github.com:gyre/app.git', 'ssh', 'ssh://github.com/gyre/app', 'github.com', 22],
    ['git://localhost:9418/app.git', 'git', 'git://localhost/app', 'localhost', 9418],
    ['git://localhost:32775/app.git', 'git', 'git://localhost:32775/app', 'localhost', 32775],
    ['https://[::1]:8443/app.git', 'https', 'https://[::1]:8443/app', '::1', 8443],
  ])('accepts %s as %s and normalises it to %s (host %s, port %d)', (input, transport, normalised, host, port) => {
    expect(parseRepositoryUrl(input)).toEqual({
      original: input,
      redacted: expect.any(String),
      normalised,
      transport,
      host,
      port,
    });
  });

  it.each([
    'https://x-access-token:ghs_abc@github.com/gyre/app',
    'https://ghp_abc@github.com/gyre/app',
    'http://user:pw@git.internal/app.git',
    'ssh://git:pw@github.com/gyre/app.git',
    'git://user@localhost/app.git',
  ])('refuses user info in %s with the hint to set the credential, never repeating it', (input) => {
    const error = rejection(input);
    expect(error.message).toContain("set the project's git credential instead");
    expect(error.message).not.toMatch(/ghs_abc|ghp_abc|:pw@/);
  });

  it('keeps different repositories, and one repository of different scopes, in different mirror directories named only by a hash', () => {
    const app = parseRepositoryUrl('https://github.com/gyre/app');
    const a = mirrorDirectoryName(app, 'project:1/credential:none');
    const b = mirrorDirectoryName(parseRepositoryUrl('https://github.com/gyre/api'), 'project:1/credential:none');
    const c = mirrorDirectoryName(app, 'project:2/credential:none');
    expect(new Set([a, b, c]).size).toBe(3);
    expect(a).toMatch(/^[0-9a-f]{32}\.git$/);
  });

  it.each([
    ['ext::sh -c touch% /tmp/pwned', /remote helper/],
    ['ext::sh', /remote helper/],
    ['fd::17', /remote helper/],
    ['-uhttps://github.com/a/b', /starts with "-"/],
    ['--upload-pack=touch /tmp/x', /whitespace|starts with "-"/],
    ['ssh://-oProxyCommand=touch%20x/a/b', /starting with "-"/],
    ['-oProxyCommand=x:repo', /starts with "-"/],
    ['git@host:-repo', /path starting with "-"/],
    ['file:///etc', /file:\/\//],
    ['/srv/git/repo.git', /local paths/],
    ['./repo', /local paths/],
    ['ftp://example.com/repo.git', /unsupported transport "ftp"/],
    ['https://github.com/a/b\n--upload-pack=x', /control characters/],
    ['https://github.com', /no repository path/],
    ['https://github.com/a/b?ref=main', /query or fragment/],
    ['', /is empty/],
  ])('refuses %j', (input, problem) => {
    const error = rejection(input);
    expect(error.kind).toBe('invalid-url');
    expect(error.message).toMatch(problem);
    expect(error.message).toContain('Use one of: https://host/owner/repo.git');
  });

  it('accepts file:// only when the caller allows it', () => {
    expect(parseRepositoryUrl('file:///srv/git/app.git', { allowFileUrls: true })).toMatchObject({
      transport: 'file',
      normalised: 'file:///srv/git/app',
    });
    expect(rejection('file:///srv/git/app.git').kind).toBe('invalid-url');
  });

  it('never repeats a credential in its rejection message', () => {
    expect(rejection('https://user:hunter2@github.com/a/b?x=1').message).not.toContain('hunter2');
  });
});

describe('redaction', () => {
  it.each([
    ['ssh://git@github.com/gyre/app.git', 'ssh://git@github.com/gyre/app.git'],
    ['https://github.com/gyre/app.git', 'https://github.com/gyre/app.git'],
  ])('shows %s as %s', (input, redacted) => {
    expect(parseRepositoryUrl(input).redacted).toBe(redacted);
  });

  it.each([
    ['https://x-access-token:ghs_secret@github.com/gyre/app.git', 'https://***@github.com/gyre/app.git'],
    ['https://ghp_secret@github.com/gyre/app.git', 'https://***@github.com/gyre/app.git'],
    ['ssh://git:pw@github.com/gyre/app.git', 'ssh://***@github.com/gyre/app.git'],
    ['ssh://git@github.com/gyre/app.git', 'ssh://git@github.com/gyre/app.git'],
    ['git@github.com:gyre/app.git', 'git@github.com:gyre/app.git'],
  ])('hides the user info of a URL saved before credentials moved out: %s as %s', (input, shown) => {
    expect(hideUrlUserInfo(input)).toBe(shown);
  });

  it('removes credentials from URLs inside git output', () => {
    const stderr =
      "fatal: unable to access 'https://bot:tok3n@github.com/a/b.git/': Could not resolve host: github.com";
    expect(redactSecretsInText(stderr)).toBe(
      "fatal: unable to access 'https://***@github.com/a/b.git/': Could not resolve host: github.com",
    );
  });
});
