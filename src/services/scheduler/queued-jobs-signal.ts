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

  /** Resolves when jobs may have been queued, or after `timeoutMs` at the latest. */
  wait(timeoutMs: number): Promise<void> {
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

  /** Stops listening and wakes every waiter, so nothing waits on a closing server. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnect);
    this.wakeAll();
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    client.removeAllListeners('notification');
    try {
      await client.query(`UNLISTEN ${JOBS_QUEUED_CHANNEL}`);
      client.release();
    } catch (error) {
      client.release(error instanceof Error ? error : true);
    }
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let client: pg.PoolClient | undefined;
    try {
      client = await this.db.connect();
      client.on('notification', () => this.wakeAll());
      client.on('error', (error) => this.lost(client!, error));
      await client.query(`LISTEN ${JOBS_QUEUED_CHANNEL}`);
      if (this.stopped) {
        client.release();
        return;
      }
      this.client = client;
      // Jobs queued while nobody listened are found by the waiters' next look.
      this.wakeAll();
    } catch (error) {
      if (client) this.lost(client, error);
      else this.retryLater(error);
    }
  }

  private lost(client: pg.PoolClient, error: unknown): void {
    if (this.client === client) this.client = undefined;
    client.removeAllListeners('notification');
    client.release(error instanceof Error ? error : true);
    this.retryLater(error);
  }

  private retryLater(error: unknown): void {
    if (this.stopped) return;
    this.logger.warn({ err: error instanceof Error ? error.message : String(error), retryInMs: RECONNECT_DELAY_MS }, 'not listening for queued jobs; builders poll until it is back');
    clearTimeout(this.reconnect);
    this.reconnect = setTimeout(() => void this.connect(), RECONNECT_DELAY_MS);
  }

  private wakeAll(): void {
    for (const wake of [...this.waiters]) wake();
  }
}
