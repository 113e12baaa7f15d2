/**
 * Job logs in PostgreSQL: chunks stored idempotently as the agent sends them, and reads of a
 * whole log or a byte range of it, streamed in batches.
 */
import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import { NotFoundError } from '../../../shared/errors.js';
import type { Database } from '../../database/create-pool.js';
import { checkCompleteness, type FinalSeqs, type LogCompleteness } from './log-completeness.js';
import { appendCapped, type AppendResult } from './append-chunk.js';
import { checkMaxAttemptBytes, DEFAULT_MAX_ATTEMPT_BYTES } from '../../core/logs/log-cap.js';
import { validateLogChunk, type LogChunk } from '../../core/logs/log-chunk.js';
import {
  layoutAttempt,
  layoutAttempts,
  logLength,
  sliceLog,
  type AttemptExtent,
  type LogSegment,
} from '../../core/logs/log-layout.js';
import { readAttemptBytes } from './read-chunks.js';

/** What became of an appended chunk; see append-chunk.ts. */
export type { AppendResult };

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

/** Options of a LogStore. */
export interface LogStoreOptions {
  /**
   * Most bytes one attempt's log stores; past it a truncation marker is stored and later output
   * is dropped (see log-cap.ts). The marker itself and chunks racing at the cap may exceed it.
   * @default 64 MiB
   */
  readonly maxAttemptBytes?: number;
}

const EXTENTS_SQL = `
  SELECT attempt, sum(byte_length) AS bytes,
    (SELECT get_byte(last.data, last.byte_length - 1) = 10 FROM log_chunks last
     WHERE last.job_id = $1 AND last.attempt = c.attempt AND last.byte_length > 0 ORDER BY last.step DESC, last.seq DESC LIMIT 1) AS ends_with_newline
  FROM log_chunks c WHERE job_id = $1 GROUP BY attempt ORDER BY attempt`;

/** Told of each chunk this process stored: (job, attempt). */
export type AppendListener = (jobId: number, attempt: number) => void;

/** Stores and reads job logs. */
export class LogStore {
  private readonly maxAttemptBytes: number;
  private readonly appends = new EventEmitter();

  constructor(
    private readonly db: Database,
    options: LogStoreOptions = {},
  ) {
    this.maxAttemptBytes = options.maxAttemptBytes ?? DEFAULT_MAX_ATTEMPT_BYTES;
    checkMaxAttemptBytes(this.maxAttemptBytes);
    // One listener per live log hub of the app (API and web pages), not per reader.
    this.appends.setMaxListeners(0);
  }

  /**
   * Calls `listener` after each chunk this process stores, so that live readers here need not wait
   * for their next poll; chunks stored by other processes are found by polling alone. Returns the
   * unsubscribe.
   */
  onAppend(listener: AppendListener): () => void {
    this.appends.on('append', listener);
    return () => this.appends.off('append', listener);
  }

  /**
   * Stores a chunk once. A resend of the same bytes is harmless; the same key with other bytes
   * is a protocol violation (ConflictError), since acknowledged output must never change. Past
   * the attempt's cap the chunk is dropped but still acknowledged (`truncated: true`), so the
   * job keeps running; a resend of a dropped chunk is acknowledged the same way.
   */
  async append(chunk: LogChunk): Promise<AppendResult> {
    validateLogChunk(chunk);
    const result = await appendCapped(this.db, chunk, this.maxAttemptBytes);
    if (result.stored) this.appends.emit('append', chunk.jobId, chunk.attempt);
    return result;
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
    const result = await this.db.query<{ attempt: number; bytes: string; ends_with_newline: boolean | null }>(
      EXTENTS_SQL,
      [jobId],
    );
    return result.rows.map((row) => ({
      attempt: row.attempt,
      bytes: Number(row.bytes),
      endsWithNewline: row.ends_with_newline === true,
    }));
  }

  private view(
    jobId: number,
    attempt: number | 'all',
    attempts: readonly number[],
    segments: readonly LogSegment[],
  ): LogView {
    return { jobId, attempt, attempts, size: logLength(segments), segments };
  }
}
