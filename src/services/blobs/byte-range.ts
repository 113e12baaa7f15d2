/**
 * Byte ranges as both blob stores take them: checked before any I/O, and one error for a range
 * that starts past the last byte (HTTP's 416), whichever store noticed it.
 */
import { InvalidInputError } from '../../shared/errors.js';
import type { ByteRange } from './blob-store.js';

/** Refuses a range that no blob could satisfy: negative, fractional or backwards. */
export function assertRange(range: ByteRange | undefined): void {
  if (range === undefined) return;
  const { start, end } = range;
  const problem =
    !Number.isSafeInteger(start) || start < 0
      ? `start ${start} is not a byte offset (a whole number from 0)`
      : end !== undefined && (!Number.isSafeInteger(end) || end < start)
        ? `end ${end} is not a byte offset at or after the start, ${start}`
        : undefined;
  if (problem)
    throw new InvalidInputError('the byte range', [
      { input: 'range', message: problem, hint: 'give start and end as byte offsets, end inclusive' },
    ]);
}

/** The error for a range that starts at or after the end of the blob. */
export function rangePastEnd(digest: string, start: number, size?: number): InvalidInputError {
  const known = size === undefined ? '' : ` (${size} bytes)`;
  return new InvalidInputError('the byte range', [
    {
      input: 'range',
      message: `starts at byte ${start}, past the end of blob ${digest}${known}`,
      hint: 'start the range before the last byte',
    },
  ]);
}
