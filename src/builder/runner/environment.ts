/**
 * The variables a step sees, in CircleCI's order of precedence (later wins): built-in CIRCLE_*
 * and GYRE_* variables, project variables, job environment, step environment.
 */
import type { RunnerJob, RunStep } from './types.js';

/** The built-in variables of a job: CircleCI's names, so existing configs work, and Gyre's own. */
export function builtInEnvironment(job: RunnerJob): Record<string, string> {
  const { context } = job;
  const [owner, repo] = splitProjectName(context.projectName);
  const shared: Record<string, string> = {
    SHA1: context.sha,
    BUILD_NUM: String(job.jobId),
    JOB: context.jobName,
    PROJECT_USERNAME: owner,
    PROJECT_REPONAME: repo,
    REPOSITORY_URL: context.gitUrl,
    WORKING_DIRECTORY: job.spec.workingDirectory,
    BUILD_URL: job.context.buildUrl,
    PIPELINE_NUMBER: String(context.pipelineNumber),
    WORKFLOW_NAME: context.workflowName,
    WORKFLOW_JOB_ID: String(job.jobId),
    // A job without `parallelism` is node 0 of 1.
    NODE_INDEX: String(context.nodeIndex ?? 0),
    NODE_TOTAL: String(context.nodeTotal ?? 1),
    ...(context.pipelineId !== undefined && { PIPELINE_ID: String(context.pipelineId) }),
    ...(context.workflowId !== undefined && { WORKFLOW_ID: String(context.workflowId) }),
    ...(context.previousJobId !== undefined && { PREVIOUS_BUILD_NUM: String(context.previousJobId) }),
    ...(context.compareUrl !== undefined && { COMPARE_URL: context.compareUrl }),
    ...(context.username !== undefined && { USERNAME: context.username }),
    ...(context.branch !== null && { BRANCH: context.branch }),
    ...(context.tag !== null && { TAG: context.tag }),
  };
  const pr = context.pullRequest;
  if (pr) {
    shared['PULL_REQUEST'] = pr.url;
    shared['PULL_REQUESTS'] = pr.url;
    // As CircleCI does: these three only for a pull request from a fork.
    if (pr.fromFork) {
      shared['PR_NUMBER'] = String(pr.number);
      shared['PR_USERNAME'] = pr.username;
      if (pr.headRepository) shared['PR_REPONAME'] = splitProjectName(pr.headRepository)[1];
    }
  }
  const env: Record<string, string> = { CI: 'true', CIRCLECI: 'true', GYRE: 'true', GYRE_ATTEMPT: String(job.attempt) };
  for (const [key, value] of Object.entries(shared)) {
    env[`CIRCLE_${key}`] = value;
    env[`GYRE_${key}`] = value;
  }
  return env;
}

/**
 * What every step of the job sees, on top of the primary image's own environment; `added` is what
 * earlier steps set (`setup_remote_docker`'s DOCKER_HOST), which the job's own variables override.
 */
export function jobEnvironment(job: RunnerJob, added: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { ...builtInEnvironment(job), ...added, ...job.projectVariables, ...job.spec.environment };
}

/** Everything a `run` step sees: the job's variables and the step's own. */
export function stepEnvironment(
  job: RunnerJob,
  step: RunStep,
  added: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return { ...jobEnvironment(job, added), ...step.environment };
}

/** `KEY=value` pairs as the engine's exec API takes them. */
export function toEnvList(env: Readonly<Record<string, string>>): string[] {
  return Object.entries(env).map(([key, value]) => `${key}=${value}`);
}

/** `owner/repo` → [owner, repo]; a name without an owner keeps an empty owner. */
function splitProjectName(name: string): [string, string] {
  const slash = name.lastIndexOf('/');
  return slash < 0 ? ['', name] : [name.slice(0, slash), name.slice(slash + 1)];
}
