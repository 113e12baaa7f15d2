import type { Database } from '../../src/services/database/create-pool.js';

/**
 * Inserts a pipeline with one workflow of jobs straight into the database, for scheduler tests
 * that need many jobs without git. Jobs without `requires` are queued, the others blocked.
 */
export async function seedWorkflow(
  db: Database,
  projectId: number,
  jobs: readonly { name: string; requires?: string[]; cpus?: number; memoryGiB?: number }[],
): Promise<{ workflowId: number; pipelineId: number }> {
  const pipeline = await db.query<{ id: string }>(
    `WITH counter AS (UPDATE projects SET pipeline_counter = pipeline_counter + 1 WHERE id = $1 RETURNING pipeline_counter)
     INSERT INTO pipelines (project_id, number, trigger, ref, branch, sha, state) SELECT $1, pipeline_counter, 'api', 'refs/heads/main', 'main', $2, 'created' FROM counter RETURNING id`,
    [projectId, 'c'.repeat(40)],
  );
  const pipelineId = Number(pipeline.rows[0]!.id);
  const workflow = await db.query<{ id: string }>(
    "INSERT INTO workflows (pipeline_id, name, state) VALUES ($1, 'w', 'running') RETURNING id",
    [pipelineId],
  );
  const workflowId = Number(workflow.rows[0]!.id);
  await db.query(
    `INSERT INTO jobs (workflow_id, name, requires, spec, state, queued_at, cpus, memory_bytes)
     SELECT $1, j.name, j.requires, '{"steps": []}'::jsonb, CASE WHEN cardinality(j.requires) = 0 THEN 'queued' ELSE 'blocked' END,
       CASE WHEN cardinality(j.requires) = 0 THEN clock_timestamp() END, j.cpus, j.memory_gib * 1024::bigint * 1024 * 1024
     FROM jsonb_to_recordset($2::jsonb) AS j(name text, requires text[], cpus numeric, memory_gib numeric)`,
    [
      workflowId,
      JSON.stringify(
        jobs.map((j) => ({
          name: j.name,
          requires: j.requires ?? [],
          cpus: j.cpus ?? 2,
          memory_gib: j.memoryGiB ?? 4,
        })),
      ),
    ],
  );
  return { workflowId, pipelineId };
}
