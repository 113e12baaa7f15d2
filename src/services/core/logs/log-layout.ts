/**
 * The byte stream a log read returns, as segments: the stored output of each attempt, and, when
 * several attempts are shown, a separator line before each one. Byte ranges are cut from this
 * one layout, so a full read and any range read always agree.
 */

/** What is stored for one attempt of a job. */
export interface AttemptExtent {
  readonly attempt: number;
  /** Total bytes of the attempt's chunks. */
  readonly bytes: number;
  /** Whether the attempt's last byte is a newline; a separator after it then needs no line break of its own. */
  readonly endsWithNewline: boolean;
}

/** A literal piece of the stream (a separator) or the stored output of one attempt. */
export type LogSegment =
  | { readonly kind: 'text'; readonly text: Buffer }
  | { readonly kind: 'attempt'; readonly attempt: number; readonly bytes: number };

/** A part of one segment: bytes `from` (inclusive) to `to` (exclusive) of it. */
export interface SegmentSlice {
  readonly segment: LogSegment;
  readonly from: number;
  readonly to: number;
}

/**
 * The line that starts an attempt's output when several attempts are shown. It starts a line of
 * its own even when the previous attempt stopped mid-line, so it is always visible.
 */
export function attemptSeparator(attempt: number, afterUnterminatedLine: boolean): Buffer {
  return Buffer.from(`${afterUnterminatedLine ? '\n' : ''}--- attempt ${attempt} ---\n`, 'utf8');
}

/** One attempt's output as it is stored: no separator. */
export function layoutAttempt(extent: AttemptExtent): LogSegment[] {
  return [{ kind: 'attempt', attempt: extent.attempt, bytes: extent.bytes }];
}

/** Every attempt in order, each preceded by its separator line. */
export function layoutAttempts(extents: readonly AttemptExtent[]): LogSegment[] {
  const sorted = [...extents].sort((a, b) => a.attempt - b.attempt);
  return sorted.flatMap((extent, index): LogSegment[] => {
    const previous = index > 0 ? sorted[index - 1] : undefined;
    const unterminated = previous !== undefined && previous.bytes > 0 && !previous.endsWithNewline;
    return [{ kind: 'text', text: attemptSeparator(extent.attempt, unterminated) }, ...layoutAttempt(extent)];
  });
}

/** Length of a segment in bytes. */
export function segmentLength(segment: LogSegment): number {
  return segment.kind === 'text' ? segment.text.length : segment.bytes;
}

/** Total bytes of the stream. */
export function logLength(segments: readonly LogSegment[]): number {
  return segments.reduce((total, segment) => total + segmentLength(segment), 0);
}

/** The parts of the segments that bytes `start` (inclusive) to `end` (exclusive) of the stream cover, in order. */
export function sliceLog(segments: readonly LogSegment[], start: number, end: number): SegmentSlice[] {
  const slices: SegmentSlice[] = [];
  let offset = 0;
  for (const segment of segments) {
    const length = segmentLength(segment);
    const from = Math.max(start - offset, 0);
    const to = Math.min(end - offset, length);
    if (to > from) slices.push({ segment, from, to });
    offset += length;
  }
  return slices;
}
