import { describe, expect, it } from '@jest/globals';
import { cachePartitionOf, PROJECT_CACHES } from '../../../../../src/services/core/access/fork-caches.js';

const forkPr = (fullName?: string) => ({
  ref: 'refs/pull/7/head',
  pullRequest: { fromFork: true, ...(fullName !== undefined && { headRepository: { fullName } }) },
});

describe('cachePartitionOf', () => {
  it("gives branch pushes, tags and the project's own pull requests the project's caches", () => {
    expect(cachePartitionOf({ ref: 'refs/heads/main', pullRequest: null }, false)).toBe(PROJECT_CACHES);
    expect(cachePartitionOf({ ref: 'refs/tags/v1', pullRequest: undefined }, false)).toBe(PROJECT_CACHES);
    const own = { ref: 'refs/pull/3/head', pullRequest: { fromFork: false, headRepository: { fullName: 'acme/web' } } };
    expect(cachePartitionOf(own, false)).toBe(PROJECT_CACHES);
  });

  it("keeps a fork's pull requests in the fork's own caches, shared by that fork's pull requests only", () => {
    expect(cachePartitionOf(forkPr('Mallory/Web'), false)).toBe('fork:mallory/web');
    expect(cachePartitionOf({ ...forkPr('mallory/web'), ref: 'refs/pull/8/head' }, false)).toBe('fork:mallory/web');
    expect(cachePartitionOf(forkPr('eve/web'), false)).toBe('fork:eve/web');
  });

  it('gives a pull request of unknown origin a partition of its own', () => {
    expect(cachePartitionOf(forkPr(), false)).toBe('fork:refs/pull/7/head');
    // A pull request ref without the webhook's detail (a manual run of it) is not trusted either.
    expect(cachePartitionOf({ ref: 'refs/pull/9/head', pullRequest: null }, false)).toBe('fork:refs/pull/9/head');
  });

  it("shares the project's caches with forks when the project passes secrets to them", () => {
    expect(cachePartitionOf(forkPr('mallory/web'), true)).toBe(PROJECT_CACHES);
  });
});
