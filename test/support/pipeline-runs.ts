import type { JobDetailResponse, JobSummaryResponse } from '../../src/api/responses.js';
import type { GitServer } from './git-server.js';
import { isFinalJobState } from '../../src/protocol/job-states.js';
import type { AppUnderTest } from './services-under-test.js';
import { until } from './until.js';

/** Pushes `.circleci/config.yml` (and any other files) to the repository and triggers a pipeline on main. */
export async function pushAndTrigger(
  gyre: AppUnderTest,
  git: GitServer,
  target: { repo: string; projectId: number },
  config: string,
  files: Readonly<Record<string, string>> = {},
): Promise<number> {
  await git.push(target.repo, { '.circleci/config.yml': config, ...files });
  return (await gyre.client.triggerPipeline(target.projectId, 'main')).id;
}

/** The pipeline's jobs, once `condition` holds for them (by default: every job finished). */
export async function waitForJobs(
  gyre: AppUnderTest,
  pipelineId: number,
  condition: (jobs: JobSummaryResponse[]) => boolean = (jobs) =>
    jobs.length > 0 && jobs.every((j) => isFinalJobState(j.state)),
  timeoutMs = 120_000,
): Promise<JobSummaryResponse[]> {
  let jobs: JobSummaryResponse[] = [];
  try {
    return await until(
      `the jobs of pipeline ${pipelineId} to meet the condition`,
      async () => {
        jobs = (await gyre.client.workflows(pipelineId)).flatMap((w) => w.jobs);
        return condition(jobs) ? jobs : undefined;
      },
      { timeoutMs, intervalMs: 250 },
    );
  } catch (error) {
    // The jobs as last seen tell what the pipeline did instead (or how far it got before an error).
    throw new Error(`${(error as Error).message}; jobs: ${JSON.stringify(jobs)}`, { cause: error });
  }
}

export function jobDetail(gyre: AppUnderTest, jobId: number): Promise<JobDetailResponse> {
  return gyre.client.job(jobId);
}

/** The job's log as text; `all` puts every attempt after a `--- attempt N ---` line. */
export async function jobLog(
  gyre: AppUnderTest,
  jobId: number,
  attempt: 'latest' | 'all' | number = 'latest',
): Promise<string> {
  return gyre.client.jobLog(jobId, attempt);
}

export function byName(jobs: readonly JobSummaryResponse[], name: string): JobSummaryResponse {
  const job = jobs.find((j) => j.name === name);
  if (!job) throw new Error(`no job named ${name} in ${JSON.stringify(jobs)}`);
  return job;
}
