import { describe, expect, it } from '@jest/globals';
import { builtInEnvironment, stepEnvironment, toEnvList } from '../../../../src/builder/runner/environment.js';
import type { RunnerJob, RunStep } from '../../../../src/builder/runner/types.js';

const job: RunnerJob = {
  jobId: 42,
  attempt: 2,
  spec: {
    docker: { primary: { image: 'node:24', environment: {} }, services: [] },
    resourceClass: { name: 'medium', cpus: 2, memoryMiB: 4096 },
    workingDirectory: '~/project',
    environment: { SHARED: 'job', JOB_ONLY: 'job' },
    steps: [],
  },
  context: {
    projectId: 1,
    projectName: 'acme/widgets',
    gitUrl: 'https://git.example/acme/widgets.git',
    sha: 'abc123',
    branch: 'main',
    tag: null,
    pipelineNumber: 7,
    workflowName: 'build',
    jobName: 'test',
    buildUrl: 'https://gyre.example/jobs/42',
  },
  projectVariables: { SHARED: 'project', PROJECT_ONLY: 'project', CIRCLE_BRANCH: 'overridden' },
};

const step: RunStep = {
  type: 'run',
  name: 'x',
  command: 'x',
  environment: { SHARED: 'step' },
  background: false,
  noOutputTimeoutMs: 1000,
  when: 'on_success',
};

describe('builtInEnvironment', () => {
  const prOf = (fromFork: boolean) => ({
    number: 9,
    url: 'https://github.com/acme/widgets/pull/9',
    fromFork,
    username: 'octocat',
    headRepository: fromFork ? 'octocat/widgets-fork' : 'acme/widgets',
  });

  it('names the pull request of a pull request build, and its number, author and repository only for a fork, as CircleCI does', () => {
    const branch = builtInEnvironment({ ...job, context: { ...job.context, pullRequest: prOf(false) } });
    expect(branch).toMatchObject({
      CIRCLE_PULL_REQUEST: 'https://github.com/acme/widgets/pull/9',
      CIRCLE_PULL_REQUESTS: 'https://github.com/acme/widgets/pull/9',
    });
    expect(Object.keys(branch).filter((k) => k.startsWith('CIRCLE_PR_'))).toEqual([]);
    expect(builtInEnvironment({ ...job, context: { ...job.context, pullRequest: prOf(true) } })).toMatchObject({
      CIRCLE_PULL_REQUEST: 'https://github.com/acme/widgets/pull/9',
      CIRCLE_PR_NUMBER: '9',
      CIRCLE_PR_USERNAME: 'octocat',
      CIRCLE_PR_REPONAME: 'widgets-fork',
    });
    expect(Object.keys(builtInEnvironment(job)).filter((k) => k.includes('PULL_REQUEST'))).toEqual([]);
  });

  it('exports the CircleCI variables and their GYRE_ equivalents', () => {
    const env = builtInEnvironment(job);
    expect(env).toMatchObject({
      CI: 'true',
      CIRCLECI: 'true',
      CIRCLE_SHA1: 'abc123',
      GYRE_SHA1: 'abc123',
      CIRCLE_BRANCH: 'main',
      CIRCLE_BUILD_NUM: '42',
      CIRCLE_JOB: 'test',
      CIRCLE_PROJECT_USERNAME: 'acme',
      CIRCLE_PROJECT_REPONAME: 'widgets',
      CIRCLE_REPOSITORY_URL: 'https://git.example/acme/widgets.git',
      CIRCLE_WORKING_DIRECTORY: '~/project',
      CIRCLE_BUILD_URL: 'https://gyre.example/jobs/42',
      GYRE_BUILD_URL: 'https://gyre.example/jobs/42',
      GYRE_ATTEMPT: '2',
    });
  });

  it('names the pipeline, workflow, previous job and who started it, when the lease says', () => {
    expect(builtInEnvironment(job)).toMatchObject({
      CIRCLE_WORKFLOW_JOB_ID: '42',
      CIRCLE_NODE_INDEX: '0',
      CIRCLE_NODE_TOTAL: '1',
    });
    expect(builtInEnvironment(job)).not.toHaveProperty('CIRCLE_PREVIOUS_BUILD_NUM');
    const full = builtInEnvironment({
      ...job,
      context: {
        ...job.context,
        pipelineId: 5,
        workflowId: 11,
        previousJobId: 40,
        compareUrl: 'https://github.com/acme/widgets/compare/0123abcd...abc123',
        username: 'octocat',
      },
    });
    expect(full).toMatchObject({
      CIRCLE_PIPELINE_ID: '5',
      CIRCLE_WORKFLOW_ID: '11',
      CIRCLE_PREVIOUS_BUILD_NUM: '40',
      CIRCLE_COMPARE_URL: 'https://github.com/acme/widgets/compare/0123abcd...abc123',
      CIRCLE_USERNAME: 'octocat',
      GYRE_USERNAME: 'octocat',
    });
  });

  it('leaves out CIRCLE_TAG for a branch build and CIRCLE_BRANCH for a tag build', () => {
    expect(builtInEnvironment(job)).not.toHaveProperty('CIRCLE_TAG');
    const tagged = builtInEnvironment({ ...job, context: { ...job.context, branch: null, tag: 'v1.0.0' } });
    expect(tagged).not.toHaveProperty('CIRCLE_BRANCH');
    expect(tagged['CIRCLE_TAG']).toBe('v1.0.0');
  });
});

describe('stepEnvironment', () => {
  it('lets the step win over the job, the job over the project, and the project over built-ins', () => {
    const env = stepEnvironment(job, step);
    expect(env).toMatchObject({
      SHARED: 'step',
      JOB_ONLY: 'job',
      PROJECT_ONLY: 'project',
      CIRCLE_BRANCH: 'overridden',
    });
  });

  it('renders KEY=value pairs for the exec API', () => {
    expect(toEnvList({ A: '1', B: 'x=y' })).toEqual(['A=1', 'B=x=y']);
  });
});
