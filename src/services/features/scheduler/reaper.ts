/**
 * The reaper: on a timer, requeue jobs whose lease expired, stop and requeue the jobs of
 * builders past their drain deadline, mark drained builders `drained` and silent ones `lost`.
 * Each pass locks what it changes with SKIP LOCKED, so several services processes can reap at once.
 */
import type { Logger } from 'pino';
import { BUILDER_LOST_AFTER_MS } from '../../../protocol/index.js';
import type { Database } from '../../database/create-pool.js';
import type { BuilderStore } from '../../stores/builders/builder-store.js';
import type { JobStore } from '../../stores/jobs/job-store.js';

export interface ReapReport {
  readonly expired: number;
  readonly drainedByDeadline: number;
  readonly drained: number;
  readonly lost: number;
}

export interface ReaperDeps {
  readonly db: Database;
  readonly jobs: JobStore;
  readonly builders: BuilderStore;
  readonly logger: Logger;
}

/**
 * Whether a pass would change anything: one cheap read, so an idle install does not run the
 * pass's four writes every few seconds.
 */
const ANYTHING_TO_REAP_SQL = `SELECT
  EXISTS (SELECT 1 FROM jobs WHERE state IN ('leased', 'running') AND lease_expires_at < now())
  OR EXISTS (SELECT 1 FROM builders WHERE state = 'draining')
  OR EXISTS (SELECT 1 FROM builders WHERE state = 'active' AND last_seen_at < now() - make_interval(secs => $1::double precision / 1000)) AS due`;

export async function reapOnce(deps: ReaperDeps): Promise<ReapReport> {
  const check = await deps.db.query<{ due: boolean }>(ANYTHING_TO_REAP_SQL, [BUILDER_LOST_AFTER_MS]);
  if (!check.rows[0]?.due) return { expired: 0, drainedByDeadline: 0, drained: 0, lost: 0 };
  const expired = await deps.jobs.requeue(
    { kind: 'lease-expired' },
    'the lease expired: the builder stopped renewing it',
    true,
  );
  const drainedByDeadline = await deps.jobs.requeue(
    { kind: 'past-drain-deadline' },
    "stopped at the builder's drain deadline",
    false,
  );
  const drained = await deps.builders.settleDrains();
  const lost = await deps.builders.markSilentLost();
  return { expired, drainedByDeadline, drained, lost };
}

/** Runs {@link reapOnce} every `intervalMs` until stopped; failures are logged and retried next time. */
export function startReaper(deps: ReaperDeps, intervalMs = 5_000): { stop(): Promise<void> } {
  let current: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    current = reapOnce(deps).then(
      (report) => {
        if (Object.values(report).some((n) => n > 0)) deps.logger.info(report, 'reaper requeued or settled work');
      },
      (error: unknown) => deps.logger.error({ err: error }, 'reaper pass failed; retrying on the next tick'),
    );
  }, intervalMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await current;
    },
  };
}
