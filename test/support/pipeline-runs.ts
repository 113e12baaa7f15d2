import type { GitServer } from './git-server.js';
import { isFinalJobState } from '../../src/protocol/job-states.js';
import type { ServicesUnderTest } from './services-under-test.js';

/** A job as `/api/v1/pipelines/:id/workflows` lists it. */
export interface JobSummaryView {
  readonly id: number;
  readonly name: string;
  readonly state: string;
  readonly attempt: number;
}

/** A job as `/api/v1/jobs/:id` shows it. */
export interface JobDetailView extends JobSummaryView {
  readonly message: string | null;
  readonly attempts: readonly {
    readonly attempt: number;
    readonly builder: string | null;
    readonly outcome: string | null;
    readonly message: string | null;
    readonly steps: readonly {
      readonly index: number;
      readonly name: string;
      readonly status: string;
      readonly exitCode: number | null;
    }[];
  }[];
}

/** Pushes `.circleci/config.yml` (and any other files) to the repository and triggers a pipeline on main. */
export async function pushAndTrigger(
  gyre: ServicesUnderTest,
  git: GitServer,
  target: { repo: string; projectId: number },
  config: string,
  files: Readonly<Record<string, string>> = {},
): Promise<number> {
  await git.push(target.repo, { '.circleci/config.yml': config, ...files });
  const response = await gyre.api(`/api/v1/projects/${target.projectId}/pipelines`, { body: { branch: 'main' } });
  if (response.status !== 201) throw new Error(`trigger failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { id: number }).id;
}

/** The pipeline's jobs, once `until` holds for them (by default: every job finished). */
export async function waitForJobs(
  gyre: ServicesUnderTest,
  pipelineId: number,
  until: (jobs: JobSummaryView[]) => boolean = (jobs) => jobs.length > 0 && jobs.every((j) => isFinalJobState(j.state)),
  timeoutMs = 120_000,
): Promise<JobSummaryView[]> {
  let jobs: JobSummaryView[] = [];
  for (const started = Date.now(); Date.now() - started < timeoutMs;) {
    const answer = (await (await gyre.api(`/api/v1/pipelines/${pipelineId}/workflows`)).json()) as {
      items?: { jobs: JobSummaryView[] }[];
    };
    jobs = (answer.items ?? []).flatMap((w) => w.jobs);
    if (until(jobs)) return jobs;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`pipeline ${pipelineId}: condition not met within ${timeoutMs} ms; jobs: ${JSON.stringify(jobs)}`);
}

export async function jobDetail(gyre: ServicesUnderTest, jobId: number): Promise<JobDetailView> {
  return (await (await gyre.api(`/api/v1/jobs/${jobId}`)).json()) as JobDetailView;
}

/** The job's log as text; `all` puts every attempt after a `--- attempt N ---` line. */
export async function jobLog(
  gyre: ServicesUnderTest,
  jobId: number,
  attempt: 'latest' | 'all' | number = 'latest',
): Promise<string> {
  return (await gyre.api(`/api/v1/jobs/${jobId}/log?attempt=${attempt}`)).text();
}

export function byName(jobs: readonly JobSummaryView[], name: string): JobSummaryView {
  const job = jobs.find((j) => j.name === name);
  if (!job) throw new Error(`no job named ${name} in ${JSON.stringify(jobs)}`);
  return job;
}
