import { describe, expect, it } from '@jest/globals';
import { parseRepositoryFullName, repositoryOfGitUrl, sameRepository } from '../../../src/shared/repository-name.js';

describe('parseRepositoryFullName', () => {
  it('reads owner and name', () => {
    expect(parseRepositoryFullName('octo-org/hello.world_2')).toEqual({ owner: 'octo-org', repo: 'hello.world_2' });
  });

  it.each([
    '',
    'octo',
    'a/b/c',
    '/repo',
    'owner/',
    '-owner/repo',
    'own er/repo',
    'owner/re po',
    'owner/..',
    'owner/.',
    `${'o'.repeat(40)}/repo`,
    'owner/repo?x=1',
  ])('refuses %j', (name) => {
    expect(parseRepositoryFullName(name)).toBeUndefined();
  });
});

describe('sameRepository', () => {
  it('ignores case, as GitHub does', () => {
    expect(sameRepository('Octo-Org/Hello', 'octo-org/hello')).toBe(true);
  });

  it('tells different repositories apart', () => {
    expect(sameRepository('octo-org/hello', 'octo-org/hello2')).toBe(false);
    expect(sameRepository('octo-org/hello', 'evil/hello')).toBe(false);
  });
});

describe('repositoryOfGitUrl', () => {
  it.each([
    ['https://github.com/octo-org/hello.git', 'octo-org/hello'],
    ['https://github.com/octo-org/hello', 'octo-org/hello'],
    ['https://GitHub.com/octo-org/hello.world/', 'octo-org/hello.world'],
    ['ssh://git@github.com/octo-org/hello.git', 'octo-org/hello'],
    ['git://github.com/octo-org/hello.git', 'octo-org/hello'],
    ['git@github.com:octo-org/hello.git', 'octo-org/hello'],
  ])('reads %s as %s', (url, name) => {
    expect(repositoryOfGitUrl(url)).toBe(name);
  });

  it.each([
    'https://git.example.com/octo-org/hello.git',
    'https://github.com.evil.example/octo-org/hello.git',
    'https://github.com/octo-org/hello/tree/main',
    'https://github.com/octo-org',
    'git@gitlab.com:octo-org/hello.git',
    'git://127.0.0.1:9418/hello.git',
    'not a url',
  ])('links %s to nothing', (url) => {
    expect(repositoryOfGitUrl(url)).toBeUndefined();
  });
});
