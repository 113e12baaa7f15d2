import { describe, expect, it } from '@jest/globals';
import { upstreamJobs, type RequiringJob } from '../../../../../src/services/core/pipelines/upstream-jobs.js';

const job = (name: string, ...requires: string[]): RequiringJob => ({ name, requires });

describe('upstreamJobs', () => {
  it('lists a diamond once each, every job after the jobs it requires', () => {
    // GIVEN checkout → (build, lint) → test → deploy, and docs beside them
    const jobs = [
      job('checkout'),
      job('docs'),
      job('lint', 'checkout'),
      job('build', 'checkout'),
      job('test', 'build', 'lint'),
      job('deploy', 'test'),
    ];
    // THEN deploy's upstream is checkout first, then lint and build in the config's order, then test
    expect(upstreamJobs(jobs, 'deploy')).toEqual(['checkout', 'lint', 'build', 'test']);
    expect(upstreamJobs(jobs, 'test')).toEqual(['checkout', 'lint', 'build']);
    expect(upstreamJobs(jobs, 'checkout')).toEqual([]);
  });

  it('orders by the longest chain, not by the first path found', () => {
    // GIVEN publish requiring package directly and through sign, which also requires package
    const jobs = [job('publish', 'sign', 'package'), job('sign', 'package'), job('package', 'compile'), job('compile')];
    // THEN sign comes after package although publish names it first
    expect(upstreamJobs(jobs, 'publish')).toEqual(['compile', 'package', 'sign']);
  });

  it('leaves out names that are no job, and ends on a cycle rather than looping', () => {
    expect(upstreamJobs([job('a', 'ghost')], 'a')).toEqual([]);
    expect(upstreamJobs([job('a', 'b'), job('b', 'a')], 'a')).toEqual(['b']);
    expect(upstreamJobs([job('a')], 'missing')).toEqual([]);
  });
});
