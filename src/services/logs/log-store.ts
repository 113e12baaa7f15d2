/**
 * Job logs in PostgreSQL: chunks stored idempotently as the agent sends them, and reads of a
 * whole log or a byte range of it, streamed in batches.
 */
import { Readable } from 'node:stream';
import { ConflictError, NotFoundError } from '../../shared/errors.js';
import type { Database } from '../database/create-pool.js';
import { checkCompleteness, type FinalSeqs, type LogCompleteness } from './log-completeness.js';
import { describeChunkKey, validateLogChunk, type LogChunk } from './log-chunk.js';
import { layoutAttempt, layoutAttempts, logLength, sliceLog, type AttemptExtent, type LogSegment } from './log-layout.js';
import { readAttemptBytes } from './read-chunks.js';

/** Which attempt's log to read: one by number, the job's latest, or all of them separated. */
export type AttemptSelection = number | 'latest' | 'all';

/** One log as it stands when opened: what it shows and how long it is. Pass it to `stream`. */
export interface LogView {
  readonly jobId: number;
  /** The attempt shown, or 'all'. */
  readonly attempt: number | 'all';
  /** Attempts that have stored output, in order. */
  readonly attempts: readonly number[];
  /** Bytes of the stream, separators included. */
  readonly size: number;
  readonly segments: readonly LogSegment[];
}

/** Bytes `start` (inclusive) to `end` (exclusive) of a log. */
export interface LogRange {
  readonly start: number;
  readonly end: number;
}

export interface AppendResult {
  /** False when the same chunk was stored before: a resend, which the agent may treat as acknowledged. */
  readonly stored: boolean;
}

const FOREIGN_KEY_VIOLATION = '23503';

const EXTENTS_SQL = `
  SELECT attempt, sum(byte_length) AS bytes,
    (SELECT get_byte(last.data, last.byte_length - 1) = 10 FROM log_chunks last
     WHERE last.job_id = $1 AND last.attempt = c.attempt AND last.byte_length > 0 ORDER BY last.step DESC, last.seq DESC LIMIT 1) AS ends_with_newline
  FROM log_chunks c WHERE job_id = $1 GROUP BY attempt ORDER BY attempt`;

/** Stores and reads job logs. */
export class LogStore {
  constructor(private readonly db: Database) {}

  /**
   * Stores a chunk once. A resend of the same bytes is harmless; the same key with other bytes
   * is a protocol violation (ConflictError), since acknowledged output must never change.
   */
  async append(chunk: LogChunk): Promise<AppendResult> {
    validateLogChunk(chunk);
    const key = [chunk.jobId, chunk.attempt, chunk.step, chunk.seq];
    const inserted = await this.db
      .query('INSERT INTO log_chunks (job_id, attempt, step, seq, data) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING', [...key, chunk.data])
      .catch((error: unknown) => {
        if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION) throw new NotFoundError(`job ${chunk.jobId}`);
        throw error;
      });
    if (inserted.rowCount === 1) return { stored: true };
    const existing = await this.db.query<{ data: Buffer }>('SELECT data FROM log_chunks WHERE job_id = $1 AND attempt = $2 AND step = $3 AND seq = $4', key);
    const row = existing.rows[0];
    // The conflicting row is gone again only if its job was deleted in between.
    if (!row) throw new NotFoundError(`job ${chunk.jobId}`);
    if (!row.data.equals(chunk.data)) {
      throw new ConflictError(`${describeChunkKey(chunk)} is already stored with different bytes (${row.data.length} stored, ${chunk.data.length} sent); a resent chunk must be identical`);
    }
    return { stored: false };
  }

  /**
   * Opens a job's log: by default its latest attempt (the job's current attempt, even before it
   * wrote anything). Throws NotFoundError for an unknown job or an attempt that never existed.
   */
  async open(jobId: number, selection: AttemptSelection = 'latest'): Promise<LogView> {
    const job = await this.db.query<{ attempt: number }>('SELECT attempt FROM jobs WHERE id = $1', [jobId]);
    const current = job.rows[0]?.attempt;
    if (current === undefined) throw new NotFoundError(`job ${jobId}`);
    const extents = await this.extents(jobId);
    const attempts = extents.map((e) => e.attempt);
    if (selection === 'all') return this.view(jobId, 'all', attempts, layoutAttempts(extents));
    const attempt = selection === 'latest' ? Math.max(current, ...attempts) : selection;
    if (attempt > current && !attempts.includes(attempt)) throw new NotFoundError(`attempt ${attempt} of job ${jobId}`);
    const extent = extents.find((e) => e.attempt === attempt) ?? { attempt, bytes: 0, endsWithNewline: false };
    return this.view(jobId, attempt, attempts, layoutAttempt(extent));
  }

  /**
   * Streams a log opened with `open`, whole or a range of it, fetching a few MiB at a time. It
   * yields exactly the view's `size` bytes (or fails). Batches are separate queries, not one
   * snapshot: a late chunk that sorts before the end of a running attempt shifts the bytes
   * after it, so byte-exact copies come from attempts whose chunks have all arrived.
   */
  stream(view: LogView, range: LogRange = { start: 0, end: view.size }): Readable {
    return Readable.from(this.generate(view, range), { objectMode: false });
  }

  /** Whether an attempt's log has every chunk; see LogCompleteness. */
  async completeness(jobId: number, attempt: number, finalSeqs?: FinalSeqs): Promise<LogCompleteness> {
    return checkCompleteness(this.db, jobId, attempt, finalSeqs);
  }

  private async *generate(view: LogView, range: LogRange): AsyncGenerator<Buffer> {
    for (const { segment, from, to } of sliceLog(view.segments, range.start, Math.min(range.end, view.size))) {
      if (segment.kind === 'text') yield segment.text.subarray(from, to);
      else yield* readAttemptBytes(this.db, view.jobId, segment.attempt, from, to);
    }
  }

  private async extents(jobId: number): Promise<AttemptExtent[]> {
    const result = await this.db.query<{ attempt: number; bytes: string; ends_with_newline: boolean | null }>(EXTENTS_SQL, [jobId]);
    return result.rows.map((row) => ({ attempt: row.attempt, bytes: Number(row.bytes), endsWithNewline: row.ends_with_newline === true }));
  }

  private view(jobId: number, attempt: number | 'all', attempts: readonly number[], segments: readonly LogSegment[]): LogView {
    return { jobId, attempt, attempts, size: logLength(segments), segments };
  }
}
