/**
 * Reads a byte range of one attempt's stored output in batches, so that a reader holds a few
 * MiB at a time whatever the log's size. Each batch is one short query (no connection is held
 * between batches), which lets slow HTTP readers not tie up the pool.
 */
import type { Database } from '../../database/create-pool.js';

/** A batch ends after the chunk that crosses this many bytes... */
const BATCH_BYTES = 4 * 1024 * 1024;
/** ...or after this many chunks, whichever comes first. */
const BATCH_ROWS = 2048;

interface ChunkPosition {
  readonly step: number;
  readonly seq: number;
}

/** Chunks in log order from a key on; `before` is the batch's running total, which bounds it by bytes. */
const batchSql = (comparison: '>=' | '>') => `
  SELECT step, seq, data FROM (
    SELECT step, seq, data, sum(byte_length) OVER (ORDER BY step, seq) - byte_length AS before
    FROM log_chunks WHERE job_id = $1 AND attempt = $2 AND (step, seq) ${comparison} ($3, $4)
    ORDER BY step, seq LIMIT $6
  ) batch WHERE before < $5`;
const BATCH_FROM = batchSql('>=');
const BATCH_AFTER = batchSql('>');

/** The chunk holding byte `offset` of the attempt, and where that chunk starts. */
const LOCATE_SQL = `
  SELECT step, seq, before FROM (
    SELECT step, seq, byte_length, sum(byte_length) OVER (ORDER BY step, seq) - byte_length AS before
    FROM log_chunks WHERE job_id = $1 AND attempt = $2
  ) located WHERE before + byte_length > $3 ORDER BY step, seq LIMIT 1`;

/**
 * Yields bytes `start` (inclusive) to `end` (exclusive) of an attempt's output, in (step, seq)
 * order. Fails if the stored output ends early, e.g. because the job was deleted meanwhile, so
 * that an HTTP response with a promised length is aborted rather than cut short silently.
 */
export async function* readAttemptBytes(
  db: Database,
  jobId: number,
  attempt: number,
  start: number,
  end: number,
): AsyncGenerator<Buffer> {
  const located = await db.query<ChunkPosition & { before: string }>(LOCATE_SQL, [jobId, attempt, start]);
  const first = located.rows[0];
  let position = first ? Number(first.before) : start;
  let next: { readonly key: ChunkPosition; readonly sql: string } | undefined = first && {
    key: first,
    sql: BATCH_FROM,
  };
  while (position < end) {
    if (!next)
      throw new Error(
        `the log of job ${jobId} attempt ${attempt} ended at byte ${position} of ${end}; was the job deleted while it was read?`,
      );
    const batch = await db.query<ChunkPosition & { data: Buffer }>(next.sql, [
      jobId,
      attempt,
      next.key.step,
      next.key.seq,
      BATCH_BYTES,
      BATCH_ROWS,
    ]);
    for (const row of batch.rows) {
      const from = Math.max(start - position, 0);
      const to = Math.min(end - position, row.data.length);
      if (to > from) yield row.data.subarray(from, to);
      position += row.data.length;
    }
    const last = batch.rows.at(-1);
    next = last && { key: last, sql: BATCH_AFTER };
  }
}
