/**
 * Artifacts (`store_artifacts`), in `artifacts`: each file a job attempt stored, under its
 * destination path, naming a blob. People see the artifacts of a job's newest attempt that stored
 * any (a retried job shows what its last run made, or what the run before stored when the last
 * one stored nothing yet), and download them one by one by path.
 */
import { InvalidInputError, NotFoundError } from '../../../shared/errors.js';
import type { StoredBlob } from '../../blobs/blob-store.js';
import type { Database } from '../../database/create-pool.js';

/** A file as a job stored it. */
export interface NewArtifact {
  /** Where it is shown and downloaded: a relative path such as `coverage/index.html`. */
  readonly path: string;
  readonly blob: StoredBlob;
  readonly contentType: string;
}

export interface StoredArtifact extends StoredBlob {
  readonly path: string;
  readonly contentType: string;
  readonly attempt: number;
  readonly createdAt: string;
}

/** A job's artifacts: those of its newest attempt that stored any; `attempt` null when none did. */
export interface ArtifactList {
  readonly attempt: number | null;
  readonly items: readonly StoredArtifact[];
}

/** An artifact the retention sweeper removed. */
export interface RemovedArtifact extends StoredBlob {
  readonly jobId: number;
  readonly attempt: number;
  readonly path: string;
}

interface ArtifactRow {
  path: string;
  digest: string;
  size: string;
  content_type: string;
  attempt: number;
  created_at: Date;
}

const COLUMNS = 'path, digest, size, content_type, attempt, created_at';
const NEWEST_ATTEMPT = '(SELECT max(attempt) FROM artifacts WHERE job_id = $1)';
/** Longer paths are not a file a build made on purpose; PostgreSQL indexes hold them with room to spare. */
const MAX_PATH_LENGTH = 1024;

function toArtifact(row: ArtifactRow): StoredArtifact {
  return {
    path: row.path,
    digest: row.digest,
    size: Number(row.size),
    contentType: row.content_type,
    attempt: row.attempt,
    createdAt: row.created_at.toISOString(),
  };
}

/** Refuses a path that is not a plain relative one: absolute, with `.` or `..` parts, empty parts or control characters. */
export function checkArtifactPath(path: string): void {
  const problem =
    path.length === 0 || path.length > MAX_PATH_LENGTH
      ? `must be 1 to ${MAX_PATH_LENGTH} characters`
      : path.startsWith('/')
        ? 'must be relative, without a leading /'
        : path.split('/').some((part) => part === '' || part === '.' || part === '..')
          ? 'must have no empty, . or .. parts'
          : // eslint-disable-next-line no-control-regex -- control characters are what this refuses
            /[\u0000-\u001f\u007f]/.test(path)
            ? 'must have no control characters'
            : undefined;
  if (problem)
    throw new InvalidInputError('the artifact', [
      { input: 'path', message: `${JSON.stringify(path)} ${problem}`, hint: 'name it like dir/file.txt' },
    ]);
}

export class ArtifactStore {
  constructor(private readonly db: Database) {}

  /** Records a file a job attempt stored; storing the same path again in that attempt replaces it. */
  async add(jobId: number, attempt: number, artifact: NewArtifact): Promise<void> {
    checkArtifactPath(artifact.path);
    await this.db.query(
      `INSERT INTO artifacts (job_id, attempt, path, digest, size, content_type) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (job_id, attempt, path) DO UPDATE
         SET digest = EXCLUDED.digest, size = EXCLUDED.size, content_type = EXCLUDED.content_type, created_at = now()`,
      [jobId, attempt, artifact.path, artifact.blob.digest, artifact.blob.size, artifact.contentType],
    );
  }

  /** The artifacts of the job's newest attempt that stored any, by path (byte order, the same on every database). */
  async list(jobId: number): Promise<ArtifactList> {
    const result = await this.db.query<ArtifactRow>(
      `SELECT ${COLUMNS} FROM artifacts WHERE job_id = $1 AND attempt = ${NEWEST_ATTEMPT} ORDER BY path COLLATE "C"`,
      [jobId],
    );
    return { attempt: result.rows[0]?.attempt ?? null, items: result.rows.map(toArtifact) };
  }

  /** One artifact of the list; NotFoundError when the list has no such path. */
  async get(jobId: number, path: string): Promise<StoredArtifact> {
    const result = await this.db.query<ArtifactRow>(
      `SELECT ${COLUMNS} FROM artifacts WHERE job_id = $1 AND attempt = ${NEWEST_ATTEMPT} AND path = $2`,
      [jobId, path],
    );
    const row = result.rows[0];
    if (!row) throw new NotFoundError(`the artifact ${path} of job ${jobId}`);
    return toArtifact(row);
  }

  /** Removes the artifacts stored before `cutoff`; answers which. */
  async removeStoredBefore(cutoff: Date): Promise<RemovedArtifact[]> {
    const result = await this.db.query<{ job_id: string; attempt: number; path: string; digest: string; size: string }>(
      'DELETE FROM artifacts WHERE created_at < $1 RETURNING job_id, attempt, path, digest, size',
      [cutoff],
    );
    return result.rows.map((row) => ({
      jobId: Number(row.job_id),
      attempt: row.attempt,
      path: row.path,
      digest: row.digest,
      size: Number(row.size),
    }));
  }

  /** Which of `digests` an artifact names. */
  async named(digests: readonly string[]): Promise<Set<string>> {
    const result = await this.db.query<{ digest: string }>(
      'SELECT DISTINCT digest FROM artifacts WHERE digest = ANY($1::text[])',
      [digests],
    );
    return new Set(result.rows.map((row) => row.digest));
  }
}
