/**
 * The live log streams of this process. Readers of the same (job, attempt) share one
 * AttemptPoller; a reader that starts behind the poller (it joined late, or resumes with
 * `Last-Event-ID`) first gets the bytes it missed read from the database, while the poller's
 * new bytes wait in its queue.
 */
import type { ServerResponse } from 'node:http';
import type { Database } from '../../database/create-pool.js';
import { AttemptPoller } from './attempt-poller.js';
import { LiveReader } from './live-reader.js';
import { readAttemptBytes } from '../../stores/logs/read-chunks.js';

/** Timings and limits of live streams. */
export interface LiveLogOptions {
  /**
   * Pause between polls of an attempt that found nothing new.
   * @default 400
   */
  readonly pollIntervalMs?: number;
  /**
   * Interval of the SSE comment that keeps proxies from closing an idle stream.
   * @default 15000
   */
  readonly heartbeatMs?: number;
  /** How often a stream asks whether its reader may still read it. @default 30000 */
  readonly accessRecheckMs?: number;
  /**
   * Bytes a reader may leave unread before it is dropped (its response is closed; it may
   * reconnect with Last-Event-ID).
   * @default 8 MiB
   */
  readonly maxBufferedBytes?: number;
  /** Told about failed polls and catch-up reads; the affected readers get an `error` event. */
  readonly onError?: (error: unknown, context: { readonly jobId: number; readonly attempt: number }) => void;
}

/** One client to follow a log. */
export interface FollowRequest {
  readonly jobId: number;
  readonly attempt: number;
  /** Byte offset to start from (from `Last-Event-ID`). */
  readonly from: number;
  /** The response, with its SSE headers already sent. */
  readonly response: ServerResponse;
  /** Asked every `accessRecheckMs`; once it says no, the stream ends with an `error` event. */
  readonly stillAllowed?: () => Promise<boolean>;
}

/** Shares one poller per (job, attempt) among all readers in this process. */
export class LiveLogHub {
  private readonly pollers = new Map<string, AttemptPoller>();
  private readonly readers = new Set<LiveReader>();
  private readonly options: Required<Omit<LiveLogOptions, 'onError'>> & Pick<LiveLogOptions, 'onError'>;

  constructor(
    private readonly db: Database,
    options: LiveLogOptions = {},
  ) {
    this.options = {
      pollIntervalMs: 400,
      heartbeatMs: 15_000,
      maxBufferedBytes: 8 * 1024 * 1024,
      accessRecheckMs: 30_000,
      ...options,
    };
  }

  /** Pollers running now; one per followed (job, attempt). Tests read it. */
  get pollerCount(): number {
    return this.pollers.size;
  }

  /** Streams a log to one client until the log ends, the client leaves or it reads too slowly. */
  async follow(request: FollowRequest): Promise<void> {
    const poller = this.pollerFor(request.jobId, request.attempt);
    const limits = { heartbeatMs: this.options.heartbeatMs, maxBufferedBytes: this.options.maxBufferedBytes };
    const recheck =
      request.stillAllowed && setInterval(() => void this.recheck(reader, request), this.options.accessRecheckMs);
    const reader = new LiveReader(request.response, request.from, limits, (gone) => {
      clearInterval(recheck);
      this.readers.delete(gone);
      poller.remove(gone);
    });
    this.readers.add(reader);
    const behind = poller.offset;
    if (request.from < behind) reader.startCatchUp();
    poller.add(reader);
    if (request.from < behind) await this.catchUp(reader, request, behind);
  }

  /** Chunks of (job, attempt) were stored: its poller, if it has readers, looks now. */
  nudge(jobId: number, attempt: number): void {
    this.pollers.get(`${jobId}:${attempt}`)?.nudge();
  }

  /** Ends every stream, e.g. when the server shuts down; pollers stop with their last reader. */
  closeAll(): void {
    for (const reader of [...this.readers]) reader.close();
  }

  /** Ends the stream of a reader who may no longer read this log (e.g. removed from the project). */
  private async recheck(reader: LiveReader, request: FollowRequest): Promise<void> {
    const allowed = await request.stillAllowed!().catch((error: unknown) => {
      this.options.onError?.(error, request);
      return true;
    });
    if (allowed) return;
    reader.accept({ kind: 'error', message: 'you may no longer read this log; the stream ends' });
    reader.close();
  }

  private async catchUp(reader: LiveReader, request: FollowRequest, until: number): Promise<void> {
    try {
      for await (const bytes of readAttemptBytes(this.db, request.jobId, request.attempt, reader.offset, until))
        reader.sendData(reader.offset, bytes);
      reader.finishCatchUp();
    } catch (error: unknown) {
      this.options.onError?.(error, request);
      reader.accept({
        kind: 'error',
        message: `reading the log of job ${request.jobId} attempt ${request.attempt} failed`,
      });
    }
  }

  private pollerFor(jobId: number, attempt: number): AttemptPoller {
    const key = `${jobId}:${attempt}`;
    const existing = this.pollers.get(key);
    if (existing) return existing;
    const poller = new AttemptPoller(this.db, jobId, attempt, {
      intervalMs: this.options.pollIntervalMs,
      onStop: (stopped) => {
        if (this.pollers.get(key) === stopped) this.pollers.delete(key);
      },
      onError: (error) => this.options.onError?.(error, { jobId, attempt }),
    });
    this.pollers.set(key, poller);
    return poller;
  }
}
