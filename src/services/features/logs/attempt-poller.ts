/**
 * One poller per followed (job, attempt) in this process: it polls PostgreSQL while it has
 * readers and fans every new contiguous piece of the log out to all of them, so N readers of a
 * job cost one query loop, not N. It stops when its last reader leaves or the log ends.
 */
import { messageOf } from '../../../shared/errors.js';
import { isFinalJobState } from '../../../protocol/index.js';
import type { Database } from '../../database/create-pool.js';
import { takeContiguous, type LogCursor, type StoredChunkKey } from '../../core/logs/contiguous-run.js';

/** What a poller sends its readers. Data events are in log order and without gaps. */
export type LiveLogEvent =
  | { readonly kind: 'data'; readonly offset: number; readonly data: Buffer }
  | { readonly kind: 'end'; readonly offset: number }
  | { readonly kind: 'error'; readonly message: string };

/** A follower of the log; `accept` must not block, since it runs inside the fan-out. */
export interface LiveLogReader {
  accept(event: LiveLogEvent): void;
}

/** Keys looked at per poll, and bytes fetched per poll; a longer backlog is read in quick successive polls. */
const KEYS_PER_POLL = 1000;
const BYTES_PER_POLL = 4 * 1024 * 1024;

const KEYS_SQL = `SELECT step, seq, byte_length FROM log_chunks WHERE job_id = $1 AND attempt = $2 AND (step, seq) >= ($3, $4) ORDER BY step, seq LIMIT $5`;
/**
 * Steps whose output may still come: user steps started and not reported finished, except
 * background ones (their output runs alongside later steps; waiting for them would hold the live
 * view until they end), and the runner's set-up output (step 0) until the first user step starts.
 */
const OPEN_STEPS_SQL = `SELECT s.index FROM job_steps s JOIN jobs j ON j.id = s.job_id
  WHERE s.job_id = $1 AND s.attempt = $2 AND s.status = 'started'
    AND coalesce((j.spec->'steps'->(s.index - 1)->>'background')::boolean, false) = false
  UNION ALL
  SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM job_steps WHERE job_id = $1 AND attempt = $2)`;
const DATA_SQL = `SELECT step, seq, data FROM log_chunks WHERE job_id = $1 AND attempt = $2 AND (step, seq) >= ($3, $4) AND (step, seq) <= ($5, $6) ORDER BY step, seq`;

/** How a poller reports to its hub. */
export interface PollerHooks {
  /** Pause between polls that found nothing new. */
  readonly intervalMs: number;
  /** Called once when the poller stops, so the hub forgets it. */
  readonly onStop: (poller: AttemptPoller) => void;
  /** Called with every failed poll; its readers are sent an `error` event and closed. */
  readonly onError: (error: unknown, poller: AttemptPoller) => void;
}

/** Polls one attempt's log for its readers. */
export class AttemptPoller {
  private readonly readers = new Set<LiveLogReader>();
  private cursor: LogCursor = { step: 0, seq: 0 };
  private sent = 0;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private nudged = false;
  private stopped = false;

  constructor(
    private readonly db: Database,
    readonly jobId: number,
    readonly attempt: number,
    private readonly hooks: PollerHooks,
  ) {}

  /** Bytes fanned out so far: a reader that joins now gets later bytes from here on. */
  get offset(): number {
    return this.sent;
  }

  /** Adds a reader and polls right away if this is the first one. */
  add(reader: LiveLogReader): void {
    this.readers.add(reader);
    if (this.readers.size === 1 && this.timer === undefined) this.schedule(0);
  }

  /** Removes a reader; the poller stops with the last one. */
  remove(reader: LiveLogReader): void {
    this.readers.delete(reader);
    if (this.readers.size === 0) this.stop();
  }

  /** New chunks were stored: polls now rather than after the pause (or right after the poll under way). */
  nudge(): void {
    if (this.stopped) return;
    if (this.polling) {
      this.nudged = true;
      return;
    }
    clearTimeout(this.timer);
    this.schedule(0);
  }

  /** Stops polling for good; the hub makes a new poller for later readers. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.hooks.onStop(this);
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.polling = true;
      this.nudged = false;
      this.poll().then(
        (more) => {
          this.polling = false;
          if (!this.stopped) this.schedule(more || this.nudged ? 0 : this.hooks.intervalMs);
        },
        (error: unknown) => {
          this.polling = false;
          this.fail(error);
        },
      );
    }, delayMs);
  }

  /** One poll; true when it sent something, so the next poll follows at once. */
  private async poll(): Promise<boolean> {
    // The job's state is read before the chunks, so every chunk stored before it finished is seen.
    const job = await this.db.query<{ state: string; attempt: number }>(
      'SELECT state, attempt FROM jobs WHERE id = $1',
      [this.jobId],
    );
    const row = job.rows[0];
    const finished = !row || isFinalJobState(row.state) || row.attempt > this.attempt;
    // Read before the chunks, like the job's state: a step reported finished has all its chunks stored.
    const openSteps = finished
      ? []
      : (await this.db.query<{ index: number }>(OPEN_STEPS_SQL, [this.jobId, this.attempt])).rows.map(
          (row) => row.index,
        );
    const keys = await this.db.query<{ step: number; seq: number; byte_length: number }>(KEYS_SQL, [
      this.jobId,
      this.attempt,
      this.cursor.step,
      this.cursor.seq,
      KEYS_PER_POLL,
    ]);
    const run = takeContiguous(
      this.cursor,
      keys.rows.map((k): StoredChunkKey => ({ step: k.step, seq: k.seq, bytes: k.byte_length })),
      BYTES_PER_POLL,
      openSteps,
    );
    if (run.chunks.length > 0) {
      await this.sendRun(run.chunks);
      this.cursor = run.cursor;
      return true;
    }
    if (finished) this.finish({ kind: 'end', offset: this.sent });
    return false;
  }

  private async sendRun(chunks: readonly StoredChunkKey[]): Promise<void> {
    const first = chunks[0];
    const last = chunks.at(-1);
    if (!first || !last) return;
    const wanted = new Set(chunks.map((c) => `${c.step}:${c.seq}`));
    const rows = await this.db.query<{ step: number; seq: number; data: Buffer }>(DATA_SQL, [
      this.jobId,
      this.attempt,
      this.cursor.step,
      this.cursor.seq,
      last.step,
      last.seq,
    ]);
    if (this.stopped) return;
    // A chunk that arrived between the two queries inside the range is late for a passed step; see contiguous-run.ts.
    for (const row of rows.rows.filter((r) => wanted.has(`${r.step}:${r.seq}`))) {
      this.fanOut({ kind: 'data', offset: this.sent, data: row.data });
      this.sent += row.data.length;
    }
  }

  private fanOut(event: LiveLogEvent): void {
    // A copy, since a reader may leave (and so change the set) while it is handed the event.
    for (const reader of [...this.readers]) reader.accept(event);
  }

  private finish(event: LiveLogEvent): void {
    this.fanOut(event);
    this.readers.clear();
    this.stop();
  }

  private fail(error: unknown): void {
    this.hooks.onError(error, this);
    if (this.stopped) return;
    const message = `reading the log of job ${this.jobId} attempt ${this.attempt} failed: ${messageOf(error)}`;
    this.finish({ kind: 'error', message });
  }
}
