/**
 * The reaper: on a timer, requeue jobs whose lease expired, stop and requeue the jobs of
 * builders past their drain deadline, mark drained builders `drained` and silent ones `lost`.
 * Each pass locks what it changes with SKIP LOCKED, so several services processes can reap at once.
 */
import type { Logger } from 'pino';
import { BUILDER_LOST_AFTER_MS } from '../../protocol/index.js';
import { BuilderStore } from '../builders/builder-store.js';
import type { Database } from '../database/create-pool.js';
import { withTransaction } from '../database/with-transaction.js';
import { requeueLostAttempt, toLeasedJob, LEASED_JOB_COLUMNS } from './requeue.js';

type LeasedRow = Parameters<typeof toLeasedJob>[0];

export interface ReapReport {
  readonly expired: number;
  readonly drainedByDeadline: number;
  readonly drained: number;
  readonly lost: number;
}

/**
 * Whether a pass would change anything: one cheap read, so an idle install does not run the
 * pass's four writes every few seconds.
 */
const ANYTHING_TO_REAP_SQL = `SELECT
  EXISTS (SELECT 1 FROM jobs WHERE state IN ('leased', 'running') AND lease_expires_at < now())
  OR EXISTS (SELECT 1 FROM builders WHERE state = 'draining')
  OR EXISTS (SELECT 1 FROM builders WHERE state = 'active' AND last_seen_at < now() - make_interval(secs => $1::double precision / 1000)) AS due`;

export async function reapOnce(db: Database): Promise<ReapReport> {
  const check = await db.query<{ due: boolean }>(ANYTHING_TO_REAP_SQL, [BUILDER_LOST_AFTER_MS]);
  if (!check.rows[0]?.due) return { expired: 0, drainedByDeadline: 0, drained: 0, lost: 0 };
  const expired = await requeueWhere(
    db,
    "state IN ('leased', 'running') AND lease_expires_at < now()",
    'the lease expired: the builder stopped renewing it',
    true,
  );
  const drainedByDeadline = await requeueWhere(
    db,
    "state IN ('leased', 'running') AND builder_id IN (SELECT id FROM builders WHERE state = 'draining' AND drain_deadline <= now())",
    "stopped at the builder's drain deadline",
    false,
  );
  const drained = await new BuilderStore(db).settleDrains();
  const lost = await db.query(
    "UPDATE builders SET state = 'lost' WHERE state = 'active' AND last_seen_at < now() - make_interval(secs => $1::double precision / 1000)",
    [BUILDER_LOST_AFTER_MS],
  );
  return { expired, drainedByDeadline, drained, lost: lost.rowCount ?? 0 };
}

/** Requeues (or fails, per the retry rules) every job matching `where`, as its own transaction. */
export async function requeueWhere(
  db: Database,
  where: string,
  reason: string,
  countsAsFailure: boolean,
  params: readonly unknown[] = [],
): Promise<number> {
  return withTransaction(db, async (client) => {
    const rows = await client.query<LeasedRow>(
      `SELECT ${LEASED_JOB_COLUMNS} FROM jobs WHERE ${where} FOR UPDATE SKIP LOCKED`,
      [...params],
    );
    for (const row of rows.rows) await requeueLostAttempt(client, toLeasedJob(row), reason, countsAsFailure);
    return rows.rows.length;
  });
}

/** Runs {@link reapOnce} every `intervalMs` until stopped; failures are logged and retried next time. */
export function startReaper(db: Database, logger: Logger, intervalMs = 5_000): { stop(): Promise<void> } {
  let current: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    current = reapOnce(db).then(
      (report) => {
        if (Object.values(report).some((n) => n > 0)) logger.info(report, 'reaper requeued or settled work');
      },
      (error: unknown) => logger.error({ err: error }, 'reaper pass failed; retrying on the next tick'),
    );
  }, intervalMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await current;
    },
  };
}
