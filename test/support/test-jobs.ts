import { randomUUID } from 'node:crypto';
import type { Database } from '../../src/services/database/create-pool.js';

/**
 * Inserts the smallest project → pipeline → workflow → job chain a job row needs, with plain SQL
 * so that tests of job-scoped tables (logs, steps) do not depend on pipeline intake.
 */
export async function insertTestJob(db: Database, options: { readonly attempt?: number } = {}): Promise<number> {
  const result = await db.query<{ id: string }>(
    `WITH project AS (
       INSERT INTO projects (name, git_url, webhook_secret) VALUES ($1, 'https://git.example.com/acme/web.git', '\\x00') RETURNING id
     ), pipeline AS (
       INSERT INTO pipelines (project_id, number, trigger, ref, sha, state)
       SELECT id, 1, 'api', 'refs/heads/main', repeat('a', 40), 'created' FROM project RETURNING id
     ), workflow AS (
       INSERT INTO workflows (pipeline_id, name, state) SELECT id, 'main', 'running' FROM pipeline RETURNING id
     )
     INSERT INTO jobs (workflow_id, name, spec, state, attempt) SELECT id, 'build', '{}', 'running', $2 FROM workflow RETURNING id`,
    [`test-${randomUUID()}`, options.attempt ?? 1],
  );
  return Number(result.rows[0]!.id);
}
