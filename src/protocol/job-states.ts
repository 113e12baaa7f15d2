/**
 * A job's states, declared once for the services box, builders and every client (the API,
 * GyreEnvironment, the CLI). See the jobs store (src/services/stores/jobs/job-store.ts) for the
 * transitions between them.
 */
export const JOB_STATES = [
  'blocked',
  /** An approval job (`type: approval`) whose requirements are met, waiting for a member's decision. */
  'on_hold',
  'queued',
  'leased',
  'running',
  'success',
  'failed',
  'canceled',
  'infrastructure_failed',
  'not_run',
  'unauthorized',
] as const;

export type JobState = (typeof JOB_STATES)[number];

/** How an attempt can end, as a builder reports it. */
export const JOB_OUTCOMES = ['success', 'failed', 'canceled', 'infrastructure_failed'] as const;

export type JobOutcome = (typeof JOB_OUTCOMES)[number];

/**
 * States after which nothing changes: no more output, no more state. `not_run`: a required job
 * ended in a status the job does not wait for (by default: it did not succeed); `unauthorized`:
 * the job names a context that its pipeline may not use.
 */
export const FINAL_JOB_STATES = [...JOB_OUTCOMES, 'not_run', 'unauthorized'] as const satisfies readonly JobState[];

/** Whether a job in `state` is over. */
export function isFinalJobState(state: string): boolean {
  return (FINAL_JOB_STATES as readonly string[]).includes(state);
}

/** A job that runs, or an approval job (`type: approval`) that a member decides. */
export const JOB_TYPES = ['build', 'approval'] as const;

export type JobType = (typeof JOB_TYPES)[number];
