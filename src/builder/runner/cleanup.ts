/**
 * Teardown by label: everything a builder made for an attempt of a job, or for every job (at start-up, after a
 * crash). Idempotent: the backend counts "already gone" as removed and joins its failures.
 */
import type { JobBackend } from '../../docker/index.js';
import { builderObjectLabels, LABELS } from '../../shared/labels.js';
import { removePooled, type PooledResources } from './resource-pool.js';

/**
 * Removes every container, network and volume this builder made for one attempt of a job: the
 * next attempt may already run here (the job was requeued), and another builder's attempt on the
 * same host is left alone. `pooled` is what the job took from the pool, which carries no job
 * labels; it goes once the containers that used it are gone.
 */
export async function cleanupAttempt(
  backend: JobBackend,
  jobId: number,
  attempt: number,
  builderName: string,
  pooled?: PooledResources,
): Promise<void> {
  await backend.removeByLabels(
    { ...builderObjectLabels(builderName, jobId), [LABELS.attempt]: String(attempt) },
    `job ${jobId} attempt ${attempt}`,
  );
  if (pooled !== undefined) await removePooled(backend, pooled);
}

/** Removes everything a builder created; run at start-up, after a crash left objects behind. */
export async function cleanupBuilder(backend: JobBackend, builderName: string): Promise<void> {
  await backend.removeByLabels(builderObjectLabels(builderName), `builder ${builderName}`);
}
