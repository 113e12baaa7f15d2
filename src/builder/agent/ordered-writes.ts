/**
 * A job's writes to the services box (log chunks and step reports), sent one at a time in the
 * order they happened. A write that gets no answer stays at the head of the queue and is retried
 * with backoff, so nothing the runner produced is lost while the services box is away; the
 * writes behind it wait in memory. The first final refusal (a stale lease above all) stops the
 * queue and is reported once.
 */
import { retryWhileUnavailable, type RetryOptions } from './retry.js';

export class OrderedWrites {
  private readonly queue: (() => Promise<void>)[] = [];
  private pumping: Promise<void> | undefined;
  private failure: Error | undefined;

  constructor(
    private readonly retry: RetryOptions,
    private readonly onFailure: (error: Error) => void,
  ) {}

  /** Queues a write; it is sent after every write queued before it got a 2xx. */
  push(write: () => Promise<void>): void {
    if (this.failure !== undefined) return;
    this.queue.push(write);
    this.pumping ??= this.pump().finally(() => (this.pumping = undefined));
  }

  /** Writes still waiting for a 2xx. */
  get pending(): number {
    return this.queue.length;
  }

  /** Resolves when every queued write got a 2xx; rejects with the failure that stopped the queue. */
  async settled(): Promise<void> {
    while (this.pumping) await this.pumping;
    if (this.failure !== undefined) throw this.failure;
  }

  private async pump(): Promise<void> {
    while (this.queue.length > 0 && this.failure === undefined) {
      try {
        await retryWhileUnavailable(this.queue[0]!, this.retry);
        this.queue.shift();
      } catch (error) {
        this.failure = error instanceof Error ? error : new Error(String(error));
        this.queue.length = 0;
        this.onFailure(this.failure);
      }
    }
  }
}
