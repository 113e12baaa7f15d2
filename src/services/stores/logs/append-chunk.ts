/**
 * Storing one chunk under the attempt's size cap. The attempt's size is one row of `log_usage`,
 * added to by the statement that stores each chunk (a resend that stores nothing adds nothing),
 * so the check costs the same for the first chunk and the ten-thousandth.
 *
 * Concurrency: the cap is checked before the insert without a lock, so appends racing at the cap
 * may all pass the check; the attempt then overshoots the cap by at most the chunks in flight
 * (each at most MAX_CHUNK_BYTES). The marker is inserted with ON CONFLICT DO NOTHING, so racing
 * appends over the cap store it exactly once.
 */
import { ConflictError, NotFoundError } from '../../../shared/errors.js';
import type { Database } from '../../database/create-pool.js';
import { TRUNCATION_STEP, truncationMarker } from '../../core/logs/log-cap.js';
import { describeChunkKey, type LogChunk } from '../../core/logs/log-chunk.js';

/** What became of an appended chunk. Either way the agent may treat it as acknowledged. */
export interface AppendResult {
  /** False when the chunk was stored before (a resend) or was dropped because the log is truncated. */
  readonly stored: boolean;
  /** True when the attempt's log is truncated at its cap: new chunks are acknowledged but not stored. */
  readonly truncated: boolean;
}

const FOREIGN_KEY_VIOLATION = '23503';

const USAGE_SQL = `
  SELECT coalesce((SELECT bytes FROM log_usage WHERE job_id = $1 AND attempt = $2), 0) AS bytes,
    EXISTS (SELECT 1 FROM log_chunks WHERE job_id = $1 AND attempt = $2 AND step = $3 AND seq = 0) AS truncated`;

/** Stores a chunk and counts its bytes in the same statement; stores (and counts) nothing for a key already stored. */
const INSERT_SQL = `
  WITH stored AS (
    INSERT INTO log_chunks (job_id, attempt, step, seq, data) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING byte_length
  )
  INSERT INTO log_usage (job_id, attempt, bytes) SELECT $1, $2, byte_length FROM stored
  ON CONFLICT (job_id, attempt) DO UPDATE SET bytes = log_usage.bytes + EXCLUDED.bytes
  RETURNING 1`;

/** Stores a validated chunk unless that would take the attempt past `maxAttemptBytes`. */
export async function appendCapped(db: Database, chunk: LogChunk, maxAttemptBytes: number): Promise<AppendResult> {
  const usage = await db.query<{ bytes: string; truncated: boolean }>(USAGE_SQL, [
    chunk.jobId,
    chunk.attempt,
    TRUNCATION_STEP,
  ]);
  const truncated = usage.rows[0]?.truncated === true;
  const bytes = Number(usage.rows[0]?.bytes ?? 0);
  if (!truncated && bytes + chunk.data.length <= maxAttemptBytes) return insertChunk(db, chunk);
  // A resend of a chunk stored before the cap is still checked, so a changed resend is still a conflict.
  const existing = await findChunkData(db, chunk);
  if (existing) return compareResend(chunk, existing, truncated);
  if (!truncated) await insertMarker(db, chunk.jobId, chunk.attempt, maxAttemptBytes);
  return { stored: false, truncated: true };
}

async function insertChunk(db: Database, chunk: LogChunk): Promise<AppendResult> {
  const inserted = await db
    .query(INSERT_SQL, [chunk.jobId, chunk.attempt, chunk.step, chunk.seq, chunk.data])
    .catch((error: unknown) => rethrowMissingJob(error, chunk.jobId));
  if (inserted.rowCount === 1) return { stored: true, truncated: false };
  const existing = await findChunkData(db, chunk);
  // The conflicting row is gone again only if its job was deleted in between.
  if (!existing) throw new NotFoundError(`job ${chunk.jobId}`);
  return compareResend(chunk, existing, false);
}

/** Acknowledged output must never change, so the same key with other bytes is a protocol violation. */
function compareResend(chunk: LogChunk, stored: Buffer, truncated: boolean): AppendResult {
  if (!stored.equals(chunk.data)) {
    throw new ConflictError(
      `${describeChunkKey(chunk)} is already stored with different bytes (${stored.length} stored, ${chunk.data.length} sent); a resent chunk must be identical`,
    );
  }
  return { stored: false, truncated };
}

async function findChunkData(db: Database, chunk: LogChunk): Promise<Buffer | undefined> {
  const existing = await db.query<{ data: Buffer }>(
    'SELECT data FROM log_chunks WHERE job_id = $1 AND attempt = $2 AND step = $3 AND seq = $4',
    [chunk.jobId, chunk.attempt, chunk.step, chunk.seq],
  );
  return existing.rows[0]?.data;
}

async function insertMarker(db: Database, jobId: number, attempt: number, maxAttemptBytes: number): Promise<void> {
  await db
    .query(
      'INSERT INTO log_chunks (job_id, attempt, step, seq, data) VALUES ($1, $2, $3, 0, $4) ON CONFLICT DO NOTHING',
      [jobId, attempt, TRUNCATION_STEP, truncationMarker(maxAttemptBytes)],
    )
    .catch((error: unknown) => rethrowMissingJob(error, jobId));
}

function rethrowMissingJob(error: unknown, jobId: number): never {
  if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION) throw new NotFoundError(`job ${jobId}`);
  throw error;
}
