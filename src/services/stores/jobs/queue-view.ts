/**
 * The queue as people see it: queued jobs, oldest first, each with the reason it waits. The API
 * (`/api/v1/queue`) and the user UI's builders and job pages read it from here, so the answer
 * to "why is my job waiting?" is the same everywhere.
 */
import type { Database } from '../../database/create-pool.js';
import { describeWait, type BuilderShape } from '../../core/scheduler/wait-reason.js';
import type { Caller } from '../../core/access/project-roles.js';
import { visibleTo } from '../projects/project-access.js';
import { SECRETS_WITHHELD_SQL } from './docker-grant.js';

export interface QueuedJob {
  readonly jobId: number;
  readonly name: string;
  readonly queuedAt: string;
  readonly waitingBecause: string;
}

export interface QueueView {
  /** Every queued job, whoever may see it: how busy the fleet is. */
  readonly depth: number;
  readonly oldestQueuedAt: string | null;
  /** At most 500, in the order the scheduler leases them: only jobs of projects the caller may see. */
  readonly items: readonly QueuedJob[];
}

interface QueuedRow {
  id: string;
  name: string;
  cpus: string;
  memory_bytes: string;
  docker_level: number;
  docker_in_builds: boolean;
  secrets_withheld: boolean;
  ssh: boolean;
  queued_at: Date;
}

const QUEUED_COLUMNS = `j.id, j.name, j.cpus, j.memory_bytes, j.docker_level, p.docker_in_builds,
  ${SECRETS_WITHHELD_SQL} AS secrets_withheld, j.ssh, j.queued_at`;
const QUEUED_FROM = `jobs j JOIN workflows w ON w.id = j.workflow_id JOIN pipelines pl ON pl.id = w.pipeline_id
  JOIN projects p ON p.id = pl.project_id`;

export async function readQueue(db: Database, fleet: readonly BuilderShape[], caller: Caller): Promise<QueueView> {
  const visible = visibleTo(caller, 1);
  const queued = await db.query<QueuedRow>(
    `SELECT ${QUEUED_COLUMNS} FROM ${QUEUED_FROM}
     WHERE j.state = 'queued' AND ${visible.sql} ORDER BY j.queue_priority, j.queued_at, j.id LIMIT 500`,
    visible.value === null ? [] : [visible.value],
  );
  const depth = await db.query<{ n: number; oldest: Date | null }>(
    "SELECT count(*)::int AS n, min(queued_at) AS oldest FROM jobs WHERE state = 'queued'",
  );
  const items = queued.rows.map((row) => toQueuedJob(row, fleet));
  return {
    depth: depth.rows[0]?.n ?? 0,
    oldestQueuedAt: depth.rows[0]?.oldest?.toISOString() ?? null,
    items,
  };
}

/** Why one job waits; undefined when it is not queued (any more). */
export async function readWaitReason(
  db: Database,
  fleet: readonly BuilderShape[],
  jobId: number,
): Promise<string | undefined> {
  const result = await db.query<QueuedRow>(
    `SELECT ${QUEUED_COLUMNS} FROM ${QUEUED_FROM} WHERE j.id = $1 AND j.state = 'queued'`,
    [jobId],
  );
  const row = result.rows[0];
  return row && toQueuedJob(row, fleet).waitingBecause;
}

function toQueuedJob(row: QueuedRow, fleet: readonly BuilderShape[]): QueuedJob {
  return {
    jobId: Number(row.id),
    name: row.name,
    queuedAt: row.queued_at.toISOString(),
    waitingBecause: describeWait(
      {
        cpus: Number(row.cpus),
        memoryBytes: Number(row.memory_bytes),
        dockerLevel: row.docker_level,
        dockerAllowed: row.docker_in_builds,
        untrustedFork: row.secrets_withheld,
        ssh: row.ssh,
      },
      fleet,
    ),
  };
}
