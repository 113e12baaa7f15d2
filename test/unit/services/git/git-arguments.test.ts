import { describe, expect, it } from '@jest/globals';
import {
  GitError,
  validateBranchName,
  validateCommitSha,
  validateRepositoryPath,
} from '../../../../src/services/git/index.js';

const kindOf = (check: () => unknown): string | undefined => {
  try {
    check();
    return undefined;
  } catch (error) {
    return error instanceof GitError ? error.kind : 'not a GitError';
  }
};

describe('validateCommitSha', () => {
  it('accepts a full sha and lowercases it', () => {
    expect(validateCommitSha('A'.repeat(40))).toBe('a'.repeat(40));
  });

  it.each([
    '',
    'abc123',
    'g'.repeat(40),
    'a'.repeat(41),
    'a'.repeat(64),
    'HEAD',
    '--all',
    `${'a'.repeat(40)}^{tree}`,
    `${'a'.repeat(39)}\n`,
  ])('refuses %j', (sha) => {
    expect(kindOf(() => validateCommitSha(sha))).toBe('invalid-argument');
  });

  it('names the input and how to fix it', () => {
    expect(() => validateCommitSha('abc')).toThrow(
      'The commit sha "abc" is not valid: expected 40 hexadecimal characters (a full SHA-1 commit id). Fix: pass the full id, as in `git rev-parse HEAD`',
    );
  });
});

describe('validateRepositoryPath', () => {
  it.each(['.circleci/config.yml', 'README.md', '-weird-but-legal.txt', 'a/b/c.d'])('accepts %j', (path) => {
    expect(validateRepositoryPath(path)).toBe(path);
  });

  it.each([
    '',
    '/etc/passwd',
    '../secret',
    'a/../../b',
    'a//b',
    './a',
    'a/',
    ':(glob)*',
    'a\0b',
    'a\nb',
    'x'.repeat(4097),
  ])('refuses %j', (path) => {
    expect(kindOf(() => validateRepositoryPath(path))).toBe('invalid-argument');
  });
});

describe('validateBranchName', () => {
  it.each(['main', 'feature/login', 'release-1.2', 'dependabot/npm_and_yarn/x-1.0.0', 'v1.0'])(
    'accepts %j',
    (branch) => {
      expect(validateBranchName(branch)).toBe(branch);
    },
  );

  it.each([
    '',
    '-delete',
    '--upload-pack=x',
    'HEAD',
    '@',
    'refs/heads/main',
    'a..b',
    'a b',
    'a~1',
    'a^',
    'a:b',
    'a?',
    'a*',
    'a[',
    'a\\b',
    'a@{1}',
    'a/',
    '/a',
    'a//b',
    '.hidden',
    'a/.b',
    'a.lock',
    'a.',
    'a\tb',
    'x'.repeat(256),
  ])('refuses %j', (branch) => {
    expect(kindOf(() => validateBranchName(branch))).toBe('invalid-argument');
  });
});
