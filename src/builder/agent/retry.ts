/**
 * Retrying protocol calls while the services box is unreachable: exponential backoff capped at
 * MAX_RETRY_BACKOFF_MS, for as long as the caller's signal allows. Only "no answer" and 5xx are
 * retried; every other answer is final (contract: "Who retries what").
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { MAX_RETRY_BACKOFF_MS } from '../../protocol/index.js';
import { UnavailableError } from '../../shared/errors.js';

const FIRST_BACKOFF_MS = 250;

export interface RetryOptions {
  /** Stops retrying: the last "no answer" error is thrown, or, while waiting, the wait's AbortError. */
  readonly signal?: AbortSignal;
  /** Told about each failed try, with the wait before the next one. */
  readonly onRetry?: (error: UnavailableError, waitMs: number) => void;
  /** @default MAX_RETRY_BACKOFF_MS */
  readonly maxBackoffMs?: number;
}

/** The backoff before try `n + 1` (n from 0): 250 ms, 500 ms, 1 s, ... capped. */
export function backoffMs(failures: number, maxBackoffMs = MAX_RETRY_BACKOFF_MS): number {
  return Math.min(FIRST_BACKOFF_MS * 2 ** Math.min(failures, 16), maxBackoffMs);
}

export async function retryWhileUnavailable<T>(call: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  for (let failures = 0; ; failures++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof UnavailableError)) throw error;
      if (options.signal?.aborted) throw error;
      const wait = backoffMs(failures, options.maxBackoffMs);
      options.onRetry?.(error, wait);
      await sleep(wait, undefined, options.signal ? { signal: options.signal } : {});
    }
  }
}
