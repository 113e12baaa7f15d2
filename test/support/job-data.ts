import type { Database } from '../../src/services/database/create-pool.js';
import { PROJECT_CACHES } from '../../src/services/core/access/fork-caches.js';
import type { CacheScope } from '../../src/services/stores/caches/cache-store.js';
import { seedWorkflow } from './seed-jobs.js';

/** The caches of a project's trusted builds. */
export const projectCaches = (projectId: number): CacheScope => ({ projectId, partition: PROJECT_CACHES });

/** A project inserted with plain SQL, for tests of project-scoped rows. */
export async function insertProject(db: Database, name: string): Promise<number> {
  const result = await db.query<{ id: string }>(
    `INSERT INTO projects (name, git_url, webhook_secret) VALUES ($1, 'https://git.example.com/acme/web.git', '\\x00') RETURNING id`,
    [name],
  );
  return Number(result.rows[0]!.id);
}

/** A seeded workflow's job ids by name. */
export async function workflowOf(
  db: Database,
  projectId: number,
  jobs: readonly { name: string; requires?: string[] }[],
): Promise<{ pipelineId: number; ids: Record<string, number> }> {
  const { workflowId, pipelineId } = await seedWorkflow(db, projectId, jobs);
  const rows = await db.query<{ id: string; name: string }>('SELECT id, name FROM jobs WHERE workflow_id = $1', [
    workflowId,
  ]);
  return { pipelineId, ids: Object.fromEntries(rows.rows.map((row) => [row.name, Number(row.id)])) };
}

/**
 * Records that a job's attempt ran and how it ended, as leasing and completing do, without a
 * builder; `outcome: null` leaves it running.
 */
export async function recordAttempt(
  db: Database,
  jobId: number,
  attempt: number,
  outcome: 'success' | 'failed' | 'infrastructure_failed' | null,
): Promise<void> {
  await db.query(
    `INSERT INTO job_attempts (job_id, attempt, outcome, finished_at) VALUES ($1, $2, $3, CASE WHEN $3::text IS NOT NULL THEN now() END)
     ON CONFLICT (job_id, attempt) DO UPDATE SET outcome = EXCLUDED.outcome, finished_at = EXCLUDED.finished_at`,
    [jobId, attempt, outcome],
  );
  await db.query(
    `UPDATE jobs SET attempt = GREATEST(attempt, $2), state = CASE WHEN $3::text IS NULL OR $3 = 'infrastructure_failed' THEN 'running' ELSE $3 END
     WHERE id = $1`,
    [jobId, attempt, outcome],
  );
}
