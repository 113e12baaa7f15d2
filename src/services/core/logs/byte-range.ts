/**
 * The HTTP `Range` header for one byte range (RFC 9110 §14). Anything the server may ignore
 * (another unit, several ranges, bad syntax) means the whole log; a well-formed range that
 * starts past the end is unsatisfiable (416).
 */

/** What to send: the whole body, bytes `start`..`end` (both inclusive), or a 416. */
export type ByteRangeRequest =
  | { readonly kind: 'whole' }
  | { readonly kind: 'partial'; readonly start: number; readonly end: number }
  | { readonly kind: 'unsatisfiable' };

const SINGLE_RANGE = /^bytes[ \t]*=[ \t]*(\d*)-(\d*)[ \t]*$/i;

/** Interprets a `Range` header against a body of `size` bytes. */
export function parseByteRange(header: string | undefined, size: number): ByteRangeRequest {
  const match = header === undefined ? null : SINGLE_RANGE.exec(header.trim());
  if (!match) return { kind: 'whole' };
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return { kind: 'whole' };
  if (first === '') return suffixRange(Number(last), size);
  const start = Number(first);
  const end = last === '' ? Infinity : Number(last);
  // RFC 9110 §14.1.1: a last position before the first makes the range invalid, hence ignored.
  if (end < start) return { kind: 'whole' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: Math.min(end, size - 1) };
}

/** `bytes=-n`: the last n bytes. */
function suffixRange(length: number, size: number): ByteRangeRequest {
  if (length === 0 || size === 0) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start: Math.max(size - length, 0), end: size - 1 };
}

/** The `Content-Range` value of a 206 (`bytes 0-99/1000`) or of a 416 (`bytes *\/1000`). */
export function formatContentRange(range: ByteRangeRequest, size: number): string {
  return range.kind === 'partial' ? `bytes ${range.start}-${range.end}/${size}` : `bytes */${size}`;
}
