/**
 * PostgreSQL notifications, turned into signals that wake waiting work at once instead of it
 * polling: lease long-polls wake when jobs are queued or a builder's state changes, the commit
 * status poster when a status is queued. One pooled connection LISTENs on every channel and
 * reconnects when it breaks.
 *
 * A notification is a hint, not a delivery: while the listening connection is down, waiters are
 * told so ({@link ChangeSignal.listening}) and poll, and every signal wakes once it is back, so a
 * notification lost meanwhile costs latency, never work.
 */
import { messageOf } from '../../shared/errors.js';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Database } from './create-pool.js';

const RECONNECT_DELAY_MS = 1_000;
const CHANNEL_NAME = /^[a-z_][a-z0-9_]*$/;

/** Wakes its waiters when any of its channels is notified. */
export class ChangeSignal {
  private readonly waiters = new Set<() => void>();
  private generation = 0;

  /** @internal Made by {@link DatabaseNotifications.signal}. */
  constructor(private readonly source: { readonly listening: boolean; readonly stopped: boolean }) {}

  /** Whether notifications arrive now; while they do not, waiters should poll sooner. */
  get listening(): boolean {
    return this.source.listening;
  }

  /** Whether the server is stopping: waiters should give up waiting. */
  get isStopped(): boolean {
    return this.source.stopped;
  }

  /** Counts wake-ups; a waiter that read it before looking for work misses none that came in between. */
  get mark(): number {
    return this.generation;
  }

  /**
   * Resolves when a notification may have come since `since` (a {@link mark} read before the last
   * look for work), or after `timeoutMs` at the latest; at once when the signal is stopped or
   * `abort` aborts (say, a long-poll's client went away).
   */
  wait(timeoutMs: number, since: number = this.generation, abort?: AbortSignal): Promise<void> {
    if (this.source.stopped || since !== this.generation || abort?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        abort?.removeEventListener('abort', wake);
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      this.waiters.add(wake);
      abort?.addEventListener('abort', wake, { once: true });
    });
  }

  /** @internal */
  wakeAll(): void {
    this.generation += 1;
    for (const wake of [...this.waiters]) wake();
  }
}

/** The one listening connection of a services process. */
export class DatabaseNotifications {
  private readonly signals = new Map<string, ChangeSignal[]>();
  private client: pg.PoolClient | undefined;
  private reconnect: NodeJS.Timeout | undefined;
  private started = false;
  private stopping = false;

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
  ) {}

  /** Whether the connection listens now. */
  get listening(): boolean {
    return this.client !== undefined;
  }

  /** Whether {@link stop} was called. */
  get stopped(): boolean {
    return this.stopping;
  }

  /** A signal woken by a notification on any of `channels`. Call before {@link start}. */
  signal(channels: readonly string[]): ChangeSignal {
    if (this.started) throw new Error('DatabaseNotifications.signal() must be called before start()');
    const signal = new ChangeSignal(this);
    for (const channel of channels) {
      if (!CHANNEL_NAME.test(channel)) throw new Error(`${JSON.stringify(channel)} is not a notification channel name`);
      this.signals.set(channel, [...(this.signals.get(channel) ?? []), signal]);
    }
    return signal;
  }

  /** Starts listening, and keeps reconnecting until stopped. */
  start(): void {
    this.started = true;
    void this.connect();
  }

  /** Stops listening and wakes every waiter; later waits end at once, so long-polls answer a closing server. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.reconnect);
    this.wakeAll();
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    detach(client);
    try {
      await client.query('UNLISTEN *');
      client.release();
    } catch (error) {
      this.logger.warn({ err: error }, 'could not stop listening cleanly; closing the connection');
      client.release(error instanceof Error ? error : true);
    }
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let client: pg.PoolClient;
    try {
      client = await this.db.connect();
    } catch (error) {
      this.retryLater(error);
      return;
    }
    // An 'error' event and the failing query can both report one broken connection: release once.
    let released = false;
    const lose = (error: unknown): void => {
      if (released) return;
      released = true;
      if (this.client === client) this.client = undefined;
      detach(client);
      client.release(error instanceof Error ? error : true);
      this.retryLater(error);
    };
    client.on('notification', (message) => {
      for (const signal of this.signals.get(message.channel) ?? []) signal.wakeAll();
    });
    client.on('error', lose);
    try {
      for (const channel of this.signals.keys()) await client.query(`LISTEN ${channel}`);
    } catch (error) {
      lose(error);
      return;
    }
    if (released) return;
    if (this.stopped) {
      released = true;
      detach(client);
      client.release(true);
      return;
    }
    this.client = client;
    // Work queued while nobody listened is found by the waiters' next look.
    this.wakeAll();
  }

  private retryLater(error: unknown): void {
    if (this.stopped) return;
    this.logger.warn(
      { err: messageOf(error), retryInMs: RECONNECT_DELAY_MS },
      'not listening for database notifications; waiting work polls until it is back',
    );
    clearTimeout(this.reconnect);
    this.reconnect = setTimeout(() => void this.connect(), RECONNECT_DELAY_MS);
  }

  private wakeAll(): void {
    for (const signal of new Set([...this.signals.values()].flat())) signal.wakeAll();
  }
}

/** A client goes back to the pool without these listeners (released with `true`, it is closed, not reused). */
function detach(client: pg.PoolClient): void {
  client.removeAllListeners('notification');
  client.removeAllListeners('error');
}
