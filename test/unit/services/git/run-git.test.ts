import { describe, expect, it } from '@jest/globals';
import { GitError } from '../../../../src/services/git/index.js';
import { runGit, summariseStderr, type GitInvocation } from '../../../../src/services/git/run-git.js';

const invocation = (overrides: Partial<GitInvocation>): GitInvocation => ({
  command: 'version',
  args: [],
  cwd: '/',
  env: process.env,
  timeoutMs: 30_000,
  repository: 'https://github.com/gyre/app.git',
  ...overrides,
});

describe('runGit', () => {
  it('runs git without a shell and returns its output', async () => {
    const outcome = await runGit(invocation({}));
    expect(outcome.exitCode).toBe(0);
    expect(outcome.stdout.toString()).toMatch(/^git version \d/);
    expect(outcome.stdoutTruncated).toBe(false);
  });

  it('passes arguments through verbatim, so shell syntax stays inert', async () => {
    const outcome = await runGit(invocation({ command: 'check-ref-format', args: ['--branch', 'a$(id)`id`$HOME;b'] }));
    expect(outcome.stdout.toString()).toBe('a$(id)`id`$HOME;b\n');
  });

  it('stops reading and reports truncation past the stdout limit', async () => {
    const outcome = await runGit(invocation({ command: 'help', args: ['-a'], maxStdoutBytes: 16 }));
    expect(outcome.stdoutTruncated).toBe(true);
    expect(outcome.stdout.length).toBeLessThanOrEqual(16);
  });

  it('says which command failed to start and for which repository when git is missing', async () => {
    const error = await runGit(invocation({ env: { PATH: '/nonexistent' } })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GitError);
    expect((error as GitError).kind).toBe('git-failed');
    expect((error as GitError).message).toMatch(
      /^Could not run `git version` for https:\/\/github.com\/gyre\/app.git: .*ENOENT.*Check that git is installed and on PATH$/,
    );
  });
});

describe('summariseStderr', () => {
  it('keeps the last five non-empty lines on one line, without a final period', () => {
    const ssh =
      'hint: x\nssh: connect to host h port 22: Connection refused\r\nfatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.\n';
    expect(summariseStderr(ssh)).toBe(
      'hint: x / ssh: connect to host h port 22: Connection refused / fatal: Could not read from remote repository. / Please make sure you have the correct access rights / and the repository exists',
    );
    expect(summariseStderr('')).toBe('git printed no error message');
  });
});
