/**
 * A project's schedules in PostgreSQL. Every change writes its audit entry in the same
 * transaction. {@link ScheduleStore.fire} moves a schedule's `last_slot` forward and creates the
 * slot's pipeline in one transaction, so a slot fires once even when services processes race.
 */
import type { PoolClient } from 'pg';
import type { Database } from '../../database/create-pool.js';
import { withTransaction } from '../../database/with-transaction.js';
import { writeAudit } from '../audit/audit-log.js';
import { insertPendingPipeline } from '../pipelines/pipeline-store.js';
import { NotFoundError } from '../../../shared/errors.js';
import type { PipelineArguments } from '../../core/pipeline-config/index.js';
import type { PipelineRequest, PipelineSummary } from '../../core/pipelines/pipeline-model.js';

export interface Schedule {
  readonly id: number;
  readonly projectId: number;
  readonly name: string;
  /** Five crontab fields, in UTC. */
  readonly cron: string;
  readonly branch: string;
  readonly parameters: PipelineArguments;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** The last slot fired (or passed over while the schedule could not fire); null before the first. */
  readonly lastSlot: string | null;
  /** For a config's legacy `triggers:` schedule, the workflow it runs; null for a project schedule. */
  readonly workflow: string | null;
}

/** What the config on a branch schedules: a workflow's legacy trigger. */
export interface ConfigTrigger {
  readonly workflow: string;
  readonly cron: string;
}

/** The name a config's trigger is listed by; project schedule names cannot hold parentheses. */
export function configScheduleName(workflow: string, branch: string): string {
  return `${workflow} (${branch})`;
}

/** What a person sets: the rest is kept by the store. */
export interface ScheduleFields {
  readonly cron: string;
  readonly branch: string;
  readonly parameters: PipelineArguments;
}

interface ScheduleRow {
  id: string;
  project_id: string;
  name: string;
  cron: string;
  branch: string;
  parameters: PipelineArguments;
  created_by: string;
  created_at: Date;
  updated_at: Date;
  last_slot: Date | null;
  workflow: string | null;
}

export class ScheduleStore {
  constructor(private readonly db: Database) {}

  async list(projectId: number): Promise<Schedule[]> {
    const rows = await this.db.query<ScheduleRow>('SELECT * FROM schedules WHERE project_id = $1 ORDER BY name', [
      projectId,
    ]);
    return rows.rows.map(toSchedule);
  }

  /** Every schedule of the installation, for the firing loop. */
  async all(): Promise<Schedule[]> {
    return (await this.db.query<ScheduleRow>('SELECT * FROM schedules ORDER BY id')).rows.map(toSchedule);
  }

  /**
   * Creates the schedule, or replaces its fields. A replaced schedule keeps its last slot, so
   * editing it never fires a slot twice; a new one fires from its first slot after now.
   */
  async set(projectId: number, name: string, fields: ScheduleFields, actor: string): Promise<Schedule> {
    return withTransaction(this.db, async (client) => {
      const row = await client.query<ScheduleRow & { created: boolean }>(
        `INSERT INTO schedules (project_id, name, cron, branch, parameters, created_by)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (project_id, name) DO UPDATE
           SET cron = EXCLUDED.cron, branch = EXCLUDED.branch, parameters = EXCLUDED.parameters, updated_at = now()
         RETURNING *, (xmax = 0) AS created`,
        [projectId, name, fields.cron, fields.branch, JSON.stringify(fields.parameters), actor],
      );
      const { created, ...stored } = row.rows[0]!;
      await audit(client, actor, created ? 'schedule.create' : 'schedule.update', projectId, {
        name,
        cron: fields.cron,
        branch: fields.branch,
        parameters: Object.keys(fields.parameters),
      });
      return toSchedule(stored);
    });
  }

  /**
   * Makes the config schedules of `branch` what its config (at the push just planned) says: new
   * triggers are added, changed ones keep the slots they fired, and removed ones go. Only trusted
   * pipelines call this, never a fork's pull request.
   */
  async syncFromConfig(projectId: number, branch: string, triggers: readonly ConfigTrigger[]): Promise<void> {
    await withTransaction(this.db, async (client) => {
      const names = triggers.map((t) => configScheduleName(t.workflow, branch));
      await client.query(
        `DELETE FROM schedules WHERE project_id = $1 AND branch = $2 AND workflow IS NOT NULL AND NOT (name = ANY($3))`,
        [projectId, branch, names],
      );
      for (const trigger of triggers)
        await client.query(
          `INSERT INTO schedules (project_id, name, cron, branch, created_by, workflow)
           VALUES ($1, $2, $3, $4, 'config', $5)
           ON CONFLICT (project_id, name) DO UPDATE SET cron = EXCLUDED.cron, updated_at = now()
             WHERE schedules.cron IS DISTINCT FROM EXCLUDED.cron`,
          [projectId, configScheduleName(trigger.workflow, branch), trigger.cron, branch, trigger.workflow],
        );
    });
  }

  async remove(projectId: number, name: string, actor: string): Promise<void> {
    await withTransaction(this.db, async (client) => {
      const removed = await client.query('DELETE FROM schedules WHERE project_id = $1 AND name = $2', [
        projectId,
        name,
      ]);
      if (removed.rowCount === 0) throw new NotFoundError(`the schedule "${name}"`);
      await audit(client, actor, 'schedule.delete', projectId, { name });
    });
  }

  /**
   * Claims `slot` of the schedule and, in the same transaction, creates its pipeline when
   * `request` is given (without one the slot is only passed over). Undefined when another process
   * claimed this slot or a later one first.
   */
  async fire(
    scheduleId: number,
    slot: Date,
    request: PipelineRequest | undefined,
  ): Promise<{ pipeline: PipelineSummary | undefined } | undefined> {
    return withTransaction(this.db, async (client) => {
      const claimed = await client.query(
        'UPDATE schedules SET last_slot = $2 WHERE id = $1 AND (last_slot IS NULL OR last_slot < $2)',
        [scheduleId, slot],
      );
      if (claimed.rowCount === 0) return undefined;
      return { pipeline: request && (await insertPendingPipeline(client, request)) };
    });
  }
}

function audit(client: PoolClient, actor: string, action: string, projectId: number, detail: object): Promise<void> {
  return writeAudit(client, { actor, action, target: `project:${projectId}`, detail });
}

function toSchedule(row: ScheduleRow): Schedule {
  return {
    id: Number(row.id),
    projectId: Number(row.project_id),
    name: row.name,
    cron: row.cron,
    branch: row.branch,
    parameters: row.parameters,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    lastSlot: row.last_slot?.toISOString() ?? null,
    workflow: row.workflow,
  };
}
