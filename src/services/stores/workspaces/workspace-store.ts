/**
 * Workspaces (`persist_to_workspace` / `attach_workspace`), in `workspace_layers`: each
 * `persist_to_workspace` of a job attempt adds a layer, a blob; a job attaching the workspace gets
 * the layers of every job it transitively requires in its workflow, in `requires` order, and each
 * job's layers in the order they were added.
 *
 * A layer is read from the attempt of its job that succeeded: an attempt lost to the
 * infrastructure after persisting is retried, and its layer is not the job's result. Retrying the
 * attaching job (a new attempt of the same job) sees the same layers. A pipeline rerun is a new
 * pipeline with new jobs (rerun-pipeline.ts): its jobs see the layers of the jobs of their own
 * workflow, never those of the pipeline it reran.
 */
import { NotFoundError } from '../../../shared/errors.js';
import type { StoredBlob } from '../../blobs/blob-store.js';
import { upstreamJobs } from '../../core/pipelines/upstream-jobs.js';
import type { Database } from '../../database/create-pool.js';

/** An upstream job's layer. */
export interface WorkspaceLayer extends StoredBlob {
  /** The job's name in the workflow. */
  readonly job: string;
  readonly jobId: number;
  /** The attempt of that job that persisted it (the one that succeeded). */
  readonly attempt: number;
}

/** A layer the retention sweeper removed. */
export interface RemovedLayer extends StoredBlob {
  readonly jobId: number;
  readonly attempt: number;
  readonly pipelineId: number;
}

export class WorkspaceStore {
  constructor(private readonly db: Database) {}

  /**
   * Adds a layer to a job attempt, after those it has. A retried upload has the same content
   * address, so it adds nothing; so does a later step persisting the very same bytes, which
   * changes nothing a job attaching them would see unless another step's layer came between.
   */
  async addLayer(jobId: number, attempt: number, blob: StoredBlob): Promise<void> {
    await this.db.query(
      `INSERT INTO workspace_layers (job_id, attempt, digest, size) VALUES ($1, $2, $3, $4)
       ON CONFLICT (job_id, attempt, digest) DO NOTHING`,
      [jobId, attempt, blob.digest, blob.size],
    );
  }

  /**
   * The layers a job attaches: those of each job it transitively requires, each job's after the
   * layers of the jobs it requires, so unpacking them in order lets later jobs' files win.
   */
  async layersFor(jobId: number): Promise<WorkspaceLayer[]> {
    const jobs = await this.db.query<{ id: string; name: string; requires: string[]; this_job: boolean }>(
      `SELECT j.id, j.name, j.requires, j.id = $1 AS this_job FROM jobs j
       WHERE j.workflow_id = (SELECT workflow_id FROM jobs WHERE id = $1) ORDER BY j.id`,
      [jobId],
    );
    const self = jobs.rows.find((row) => row.this_job);
    if (!self) throw new NotFoundError(`job ${jobId}`);
    const upstream = upstreamJobs(jobs.rows, self.name);
    if (upstream.length === 0) return [];
    // A job with `parallelism` has a row, and maybe a layer, per node: every node's counts.
    const idsOf = new Map<string, string[]>();
    for (const row of jobs.rows) idsOf.set(row.name, [...(idsOf.get(row.name) ?? []), row.id]);
    const layers = await this.db.query<{ job_id: string; attempt: number; digest: string; size: string }>(
      `SELECT l.job_id, l.attempt, l.digest, l.size
       FROM workspace_layers l
       JOIN (SELECT job_id, max(attempt) AS attempt FROM job_attempts
             WHERE job_id = ANY($1::bigint[]) AND outcome = 'success' GROUP BY job_id) a
         ON a.job_id = l.job_id AND a.attempt = l.attempt
       ORDER BY l.id`,
      [upstream.flatMap((name) => idsOf.get(name) ?? [])],
    );
    return upstream.flatMap((name) =>
      layers.rows
        .filter((row) => idsOf.get(name)?.includes(row.job_id))
        .map((row) => ({
          job: name,
          jobId: Number(row.job_id),
          attempt: row.attempt,
          digest: row.digest,
          size: Number(row.size),
        })),
    );
  }

  /**
   * Removes the layers of pipelines created before `cutoff`, all of a pipeline's at once, so no
   * job of a workflow that still runs loses the layers it attaches; answers which went.
   */
  async removeOfPipelinesBefore(cutoff: Date): Promise<RemovedLayer[]> {
    const result = await this.db.query<{
      job_id: string;
      attempt: number;
      pipeline_id: string;
      digest: string;
      size: string;
    }>(
      `DELETE FROM workspace_layers l USING jobs j, workflows w, pipelines p
       WHERE j.id = l.job_id AND w.id = j.workflow_id AND p.id = w.pipeline_id AND p.created_at < $1
       RETURNING l.job_id, l.attempt, p.id AS pipeline_id, l.digest, l.size`,
      [cutoff],
    );
    return result.rows.map((row) => ({
      jobId: Number(row.job_id),
      attempt: row.attempt,
      pipelineId: Number(row.pipeline_id),
      digest: row.digest,
      size: Number(row.size),
    }));
  }

  /** Which of `digests` a layer names. */
  async named(digests: readonly string[]): Promise<Set<string>> {
    const result = await this.db.query<{ digest: string }>(
      'SELECT DISTINCT digest FROM workspace_layers WHERE digest = ANY($1::text[])',
      [digests],
    );
    return new Set(result.rows.map((row) => row.digest));
  }
}
