/**
 * The queue as people see it: queued jobs, oldest first, each with the reason it waits. The API
 * (`/api/v1/queue`) and the user UI's builders and job pages read it from here, so the answer
 * to "why is my job waiting?" is the same everywhere.
 */
import type { Database } from '../../database/create-pool.js';
import { describeWait, type SlotShape } from '../../core/scheduler/wait-reason.js';

export interface QueuedJob {
  readonly jobId: number;
  readonly name: string;
  readonly queuedAt: string;
  readonly waitingBecause: string;
}

export interface QueueView {
  readonly depth: number;
  readonly oldestQueuedAt: string | null;
  /** At most 500, in the order the scheduler leases them. */
  readonly items: readonly QueuedJob[];
}

interface QueuedRow {
  id: string;
  name: string;
  cpus: string;
  memory_bytes: string;
  queued_at: Date;
}

const QUEUED_COLUMNS = 'id, name, cpus, memory_bytes, queued_at';

export async function readQueue(db: Database, fleet: readonly SlotShape[]): Promise<QueueView> {
  const queued = await db.query<QueuedRow>(
    `SELECT ${QUEUED_COLUMNS} FROM jobs WHERE state = 'queued' ORDER BY queue_priority, queued_at, id LIMIT 500`,
  );
  const depth = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM jobs WHERE state = 'queued'");
  const items = queued.rows.map((row) => toQueuedJob(row, fleet));
  return { depth: depth.rows[0]?.n ?? 0, oldestQueuedAt: items[0]?.queuedAt ?? null, items };
}

/** Why one job waits; undefined when it is not queued (any more). */
export async function readWaitReason(
  db: Database,
  fleet: readonly SlotShape[],
  jobId: number,
): Promise<string | undefined> {
  const result = await db.query<QueuedRow>(`SELECT ${QUEUED_COLUMNS} FROM jobs WHERE id = $1 AND state = 'queued'`, [
    jobId,
  ]);
  const row = result.rows[0];
  return row && toQueuedJob(row, fleet).waitingBecause;
}

function toQueuedJob(row: QueuedRow, fleet: readonly SlotShape[]): QueuedJob {
  return {
    jobId: Number(row.id),
    name: row.name,
    queuedAt: row.queued_at.toISOString(),
    waitingBecause: describeWait({ cpus: Number(row.cpus), memoryBytes: Number(row.memory_bytes) }, fleet),
  };
}
