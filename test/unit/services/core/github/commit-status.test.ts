import { describe, expect, it } from '@jest/globals';
import {
  commitStatusEndpoint,
  isRetryable,
  pendingStatus,
  pipelineErrorStatus,
  pipelineUrl,
  retryDelayMs,
  truncateDescription,
  workflowOutcomeStatus,
} from '../../../../../src/services/core/github/commit-status.js';

describe('workflowOutcomeStatus', () => {
  it('is success only when every job succeeded', () => {
    expect(
      workflowOutcomeStatus('build', 'success', [
        { name: 'a', state: 'success' },
        { name: 'b', state: 'success' },
      ]),
    ).toEqual({ state: 'success', context: 'gyre/build', description: 'Workflow build succeeded: 2 jobs passed' });
    expect(workflowOutcomeStatus('build', 'success', [{ name: 'a', state: 'success' }]).description).toBe(
      'Workflow build succeeded: 1 job passed',
    );
  });

  it('counts only the jobs that ran as passed, and names those that waited for a failure that did not happen', () => {
    expect(
      workflowOutcomeStatus('build', 'success', [
        { name: 'test', state: 'success' },
        { name: 'on-test-failure', state: 'not_run' },
      ]).description,
    ).toBe('Workflow build succeeded: 1 job passed; on-test-failure not run');
  });

  it('is failure when a job failed or failed for infrastructure reasons, naming them and the jobs that did not run', () => {
    const jobs = [
      { name: 'lint', state: 'success' },
      { name: 'test', state: 'failed' },
      { name: 'e2e', state: 'infrastructure_failed' },
      { name: 'deploy', state: 'not_run' },
    ];
    expect(workflowOutcomeStatus('release', 'failed', jobs)).toEqual({
      state: 'failure',
      context: 'gyre/release',
      description: 'Workflow release failed: test, e2e failed; deploy not run',
    });
  });

  it('is error when the workflow was canceled', () => {
    expect(
      workflowOutcomeStatus('ci', 'canceled', [
        { name: 'test', state: 'canceled' },
        { name: 'deploy', state: 'not_run' },
      ]),
    ).toEqual({ state: 'error', context: 'gyre/ci', description: 'Workflow ci was canceled (test)' });
  });

  it('shortens long lists of jobs and keeps the description within 140 characters', () => {
    const jobs = Array.from({ length: 50 }, (_, i) => ({ name: `job-with-a-rather-long-name-${i}`, state: 'failed' }));
    const status = workflowOutcomeStatus('w', 'failed', jobs);
    expect(status.description).toContain('and 47 more failed');
    expect(Array.from(status.description).length).toBeLessThanOrEqual(140);
  });
});

describe('pendingStatus and pipelineErrorStatus', () => {
  it('marks each planned workflow pending under its own context', () => {
    expect(pendingStatus('build-and-deploy')).toEqual({
      state: 'pending',
      context: 'gyre/build-and-deploy',
      description: 'Workflow build-and-deploy is running',
    });
  });

  it('reports a pipeline that could not be planned as error under `gyre`, naming the problem', () => {
    expect(
      pipelineErrorStatus({
        kind: 'config',
        message: '.circleci/config.yml has 1 error (first at line 4, column 5: unknown key)',
        errors: [],
      }),
    ).toEqual({
      state: 'error',
      context: 'gyre',
      description: 'Invalid config: .circleci/config.yml has 1 error (first at line 4, column 5: unknown key)',
    });
    expect(pipelineErrorStatus({ kind: 'fetch', message: 'git fetch failed' }).description).toBe(
      'Could not read the config: git fetch failed',
    );
    expect(
      pipelineErrorStatus({ kind: 'internal', message: 'planning failed; the services log has the details' })
        .description,
    ).toBe('Gyre could not plan the pipeline');
  });
});

describe('truncateDescription', () => {
  it('keeps a short description, collapsing whitespace', () => {
    expect(truncateDescription('  a\n\tb   c ')).toBe('a b c');
  });

  it('cuts to 140 characters ending in an ellipsis', () => {
    const cut = truncateDescription('x'.repeat(200));
    expect(cut).toHaveLength(140);
    expect(cut.endsWith('x…')).toBe(true);
    expect(truncateDescription('y'.repeat(140))).toBe('y'.repeat(140));
  });

  it('never splits a character made of two UTF-16 code units', () => {
    const cut = truncateDescription('😀'.repeat(150));
    expect(Array.from(cut)).toHaveLength(140);
    expect(cut).toBe(`${'😀'.repeat(139)}…`);
  });
});

describe('commitStatusEndpoint and pipelineUrl', () => {
  const sha = 'a'.repeat(40);
  it('builds the REST path under the API URL, with or without a trailing slash', () => {
    expect(commitStatusEndpoint('https://api.github.com', { owner: 'octo', repo: 'app' }, sha)).toBe(
      `https://api.github.com/repos/octo/app/statuses/${sha}`,
    );
    expect(commitStatusEndpoint('https://ghe.example.com/api/v3/', { owner: 'octo', repo: 'app' }, sha)).toBe(
      `https://ghe.example.com/api/v3/repos/octo/app/statuses/${sha}`,
    );
  });

  it('links to the pipeline page', () => {
    expect(pipelineUrl('https://ci.example.com/', 42)).toBe('https://ci.example.com/pipelines/42');
  });
});

describe('retries', () => {
  it('retries passing trouble and fixable access problems, not validation failures', () => {
    expect([500, 502, 429, 401, 403, 404].map(isRetryable)).toEqual([true, true, true, true, true, true]);
    expect([400, 422].map(isRetryable)).toEqual([false, false]);
  });

  it('doubles the delay from 1 s up to 5 minutes', () => {
    expect([1, 2, 3, 4, 10, 30].map((n) => retryDelayMs(n))).toEqual([1_000, 2_000, 4_000, 8_000, 300_000, 300_000]);
    expect(retryDelayMs(3, 100)).toBe(400);
  });
});
