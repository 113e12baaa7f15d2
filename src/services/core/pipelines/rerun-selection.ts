/**
 * Which jobs of an ended workflow a rerun runs again, as CircleCI's "Rerun workflow from failed"
 * and "Rerun job" do: the chosen jobs (every failed, canceled or refused one; or the one a person
 * picked, with all its parallel nodes), and after them every job that requires them, directly or
 * not, and did not succeed. Jobs that succeeded keep their result and are not run again. Pure:
 * the jobs store applies the answer.
 */
import { isFinalJobState } from '../../../protocol/index.js';

/** A job of the workflow as the rerun sees it. */
export interface RerunCandidate {
  readonly id: number;
  readonly name: string;
  readonly state: string;
  readonly requires: readonly string[];
}

/** Every failed job of a workflow and what follows them, or one job (by id) and what follows it. */
export type RerunSelection =
  | { readonly kind: 'failed'; readonly workflowId: number }
  | {
      readonly kind: 'job';
      readonly jobId: number;
      /** "Rerun job with SSH": the account that asked, who (with the administrators) may connect to the job's nodes. */
      readonly sshFor?: number;
    };

/** The jobs to run again, or why there are none. */
export type RerunPlan<J extends RerunCandidate> =
  | { readonly ok: true; readonly chosen: readonly string[]; readonly reset: readonly J[] }
  | { readonly ok: false; readonly code: 'nothing_to_rerun' | 'job_not_ended'; readonly message: string };

/** End states "from failed" reruns: CircleCI's failed and canceled, and jobs whose contexts were refused. */
export const RERUN_FROM_FAILED_STATES: readonly string[] = [
  'failed',
  'infrastructure_failed',
  'canceled',
  'unauthorized',
];

export function planRerun<J extends RerunCandidate>(jobs: readonly J[], selection: RerunSelection): RerunPlan<J> {
  const chosen = new Set<string>();
  if (selection.kind === 'job') {
    const job = jobs.find((j) => j.id === selection.jobId);
    const nodes = jobs.filter((j) => j.name === job?.name);
    if (!job || nodes.some((j) => !isFinalJobState(j.state)))
      return {
        ok: false,
        code: 'job_not_ended',
        message: `job ${selection.jobId} has not ended; rerun it once it has`,
      };
    chosen.add(job.name);
  } else {
    for (const job of jobs) if (RERUN_FROM_FAILED_STATES.includes(job.state)) chosen.add(job.name);
    if (chosen.size === 0)
      return {
        ok: false,
        code: 'nothing_to_rerun',
        message: 'the workflow has no failed, canceled or refused job to rerun; rerun the pipeline to run it all again',
      };
  }
  const after = new Set<string>();
  for (let grew = true; grew;) {
    grew = false;
    for (const job of jobs) {
      if (chosen.has(job.name) || after.has(job.name)) continue;
      if (job.requires.some((name) => chosen.has(name) || after.has(name))) {
        after.add(job.name);
        grew = true;
      }
    }
  }
  const reset = jobs.filter((j) => chosen.has(j.name) || (after.has(j.name) && j.state !== 'success'));
  return { ok: true, chosen: [...chosen], reset };
}
