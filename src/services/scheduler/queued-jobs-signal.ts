/**
 * Wakes waiting lease long-polls when jobs are queued. PostgreSQL notifies `gyre_jobs_queued`
 * from a statement trigger whenever a statement leaves a job `queued` (migration 007); one
 * connection of the pool listens and wakes every waiter. A notification is a hint, not a
 * delivery: waiters also wake on a timer, so a notification lost while the listening connection
 * was down costs latency, never a job.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Database } from '../database/create-pool.js';

export const JOBS_QUEUED_CHANNEL = 'gyre_jobs_queued';
const RECONNECT_DELAY_MS = 1_000;

export class QueuedJobsSignal {
  private readonly waiters = new Set<() => void>();
  private client: pg.PoolClient | undefined;
  private reconnect: NodeJS.Timeout | undefined;
  private stopped = false;
  private generation = 0;

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
  ) {}

  /** Whether notifications arrive now; while they do not, waiters should poll sooner. */
  get listening(): boolean {
    return this.client !== undefined;
  }

  /** Starts listening, and keeps reconnecting until stopped. */
  start(): void {
    void this.connect();
  }

  /** Counts wake-ups; a waiter that read it before looking for jobs misses none that came in between. */
  get mark(): number {
    return this.generation;
  }

  /**
   * Resolves when jobs may have been queued since `since` (a {@link mark} read before the last
   * look for jobs), or after `timeoutMs` at the latest; at once when the signal is stopped.
   */
  wait(timeoutMs: number, since: number = this.generation): Promise<void> {
    if (this.stopped || since !== this.generation) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      this.waiters.add(wake);
    });
  }

  /** Stops listening and wakes every waiter; later waits end at once, so long-polls answer a closing server. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnect);
    this.wakeAll();
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    detach(client);
    try {
      await client.query(`UNLISTEN ${JOBS_QUEUED_CHANNEL}`);
      client.release();
    } catch (error) {
      client.release(error instanceof Error ? error : true);
    }
  }

  /** Whether the server is stopping: waiters should give up waiting. */
  get isStopped(): boolean {
    return this.stopped;
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
    client.on('notification', () => this.wakeAll());
    client.on('error', lose);
    try {
      await client.query(`LISTEN ${JOBS_QUEUED_CHANNEL}`);
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
    // Jobs queued while nobody listened are found by the waiters' next look.
    this.wakeAll();
  }

  private retryLater(error: unknown): void {
    if (this.stopped) return;
    this.logger.warn({ err: error instanceof Error ? error.message : String(error), retryInMs: RECONNECT_DELAY_MS }, 'not listening for queued jobs; builders poll until it is back');
    clearTimeout(this.reconnect);
    this.reconnect = setTimeout(() => void this.connect(), RECONNECT_DELAY_MS);
  }

  private wakeAll(): void {
    this.generation += 1;
    for (const wake of [...this.waiters]) wake();
  }
}

/** A client goes back to the pool without this signal's listeners (released with `true`, it is closed, not reused). */
function detach(client: pg.PoolClient): void {
  client.removeAllListeners('notification');
  client.removeAllListeners('error');
}
