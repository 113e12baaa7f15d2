/**
 * One SSE client following a log. It writes events to its HTTP response, holds back the end of
 * a chunk that stops inside a UTF-8 character, sends heartbeats, and drops itself when the
 * client reads too slowly, so that a slow client never holds up the poller or other readers.
 */
import type { ServerResponse } from 'node:http';
import type { LiveLogEvent, LiveLogReader } from './attempt-poller.js';
import { completeUtf8Length, formatLogEvent, formatSseEvent, SSE_HEARTBEAT } from '../../core/logs/sse-format.js';

/** Limits of one reader. */
export interface LiveReaderLimits {
  /** Interval of the comment lines that keep proxies from closing an idle stream. */
  readonly heartbeatMs: number;
  /** Bytes a reader may have unsent (in the socket's buffer or waiting for its catch-up) before it is dropped. */
  readonly maxBufferedBytes: number;
}

/** Follows a log from byte `position` on and writes it to `response` as SSE. */
export class LiveReader implements LiveLogReader {
  private carry: Buffer = Buffer.alloc(0);
  private queued: LiveLogEvent[] | undefined;
  private queuedBytes = 0;
  private closed = false;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly response: ServerResponse,
    private position: number,
    private readonly limits: LiveReaderLimits,
    private readonly onClose: (reader: LiveReader) => void,
  ) {
    this.heartbeat = setInterval(() => this.write(SSE_HEARTBEAT), limits.heartbeatMs);
    response.on('close', () => this.close());
  }

  /** Next byte offset this reader needs. */
  get offset(): number {
    return this.position;
  }

  /** Holds live events back while earlier bytes are read for this reader from the database. */
  startCatchUp(): void {
    this.queued = [];
  }

  /** Sends the held-back events after the caught-up bytes. */
  finishCatchUp(): void {
    const queued = this.queued ?? [];
    this.queued = undefined;
    for (const event of queued) this.accept(event);
  }

  /** Takes an event from the poller, or from the catch-up read. */
  accept(event: LiveLogEvent): void {
    if (this.closed) return;
    if (this.queued && event.kind === 'data') return this.hold(event);
    // An error ends the stream at once; an end waits for the bytes before it.
    if (this.queued && event.kind === 'end') return void this.queued.push(event);
    if (event.kind === 'data') return this.sendData(event.offset, event.data);
    if (event.kind === 'end') {
      this.flushCarry();
      this.write(formatSseEvent('end', { offset: this.position }));
    } else {
      this.write(formatSseEvent('error', { message: event.message }));
    }
    this.close();
  }

  /** Sends bytes from `offset` on, skipping any this reader already has. */
  sendData(offset: number, data: Buffer): void {
    if (offset + data.length <= this.position) return;
    if (offset > this.position) {
      return this.accept({
        kind: 'error',
        message: `the live log skipped from byte ${this.position} to ${offset}; reconnect with Last-Event-ID to resume`,
      });
    }
    const bytes = Buffer.concat([this.carry, data.subarray(this.position - offset)]);
    const start = this.position - this.carry.length;
    const whole = completeUtf8Length(bytes);
    this.position += data.length - (this.position - offset);
    this.carry = bytes.subarray(whole);
    if (whole > 0) this.write(formatLogEvent(bytes.subarray(0, whole), start));
  }

  /** Ends the response and stops the heartbeat; safe to call more than once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    this.queued = undefined;
    if (!this.response.writableEnded) this.response.end();
    this.onClose(this);
  }

  private hold(event: LiveLogEvent & { kind: 'data' }): void {
    this.queued?.push(event);
    this.queuedBytes += event.data.length;
    if (this.queuedBytes > this.limits.maxBufferedBytes) this.drop();
  }

  /** At the end the held-back bytes are sent as they are: the log really ends inside a character. */
  private flushCarry(): void {
    if (this.carry.length === 0) return;
    this.write(formatLogEvent(this.carry, this.position - this.carry.length));
    this.carry = Buffer.alloc(0);
  }

  private write(text: string): void {
    if (this.closed) return;
    this.response.write(text);
    if (this.response.writableLength > this.limits.maxBufferedBytes) this.drop();
  }

  /** Closing (not waiting) is what keeps one slow client from growing memory without bound. */
  private drop(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    this.queued = undefined;
    this.response.destroy();
    this.onClose(this);
  }
}
