/**
 * The size cap of one attempt's log. Past the cap a marker line is stored once, at a reserved
 * step that sorts after every real step, so every reader (whole, range, live) sees it as the
 * last line of the attempt; later output is acknowledged but dropped, so the job keeps running.
 */
import { formatByteSize } from '../../../shared/byte-size.js';

/** Default cap of one attempt's stored output: 64 MiB. */
export const DEFAULT_MAX_ATTEMPT_BYTES = 64 * 1024 * 1024;

/**
 * The step the truncation marker is stored at (seq 0): the largest PostgreSQL `integer`. Real
 * steps are validated to be below it, so the marker always sorts last in (step, seq) order.
 */
export const TRUNCATION_STEP = 2 ** 31 - 1;

/**
 * The marker's bytes. It starts with a newline so it is visible even when the output stopped
 * mid-line, and it ends with one so an attempt separator after it needs no line break.
 */
export function truncationMarker(maxAttemptBytes: number): Buffer {
  return Buffer.from(`\n[gyre] log truncated at ${formatByteSize(maxAttemptBytes)}; the job kept running\n`, 'utf8');
}

/** Throws a RangeError naming the option unless the cap is a positive whole number of bytes. */
export function checkMaxAttemptBytes(maxAttemptBytes: number): void {
  if (!Number.isSafeInteger(maxAttemptBytes) || maxAttemptBytes < 1) {
    throw new RangeError(`maxAttemptBytes must be a positive integer number of bytes, got ${String(maxAttemptBytes)}`);
  }
}
