/**
 * Which stored chunks a live reader may be sent. Chunks can arrive out of order, and the log's
 * bytes are in (step, seq) order, so a step's chunks are sent only once there is no gap before
 * them. The stream moves on to a later step when that step's seq 0 is stored, the current step
 * has no stored chunk after a gap, and no step it would leave is still open: started and not yet
 * reported finished (the agent reports a step finished only after all of its output was
 * acknowledged, so a finished step has no chunk still to come).
 *
 * Limitation: a chunk of a step that arrives after the stream has moved past that step is
 * stored (and served by `GET /log`) but is not sent live. That happens only to steps the caller
 * does not count as open although they run on: background steps, whose output runs alongside
 * later steps, and the runner's own step 0, which also notes a cancel or cleanup at the end.
 */

/** The next chunk a live stream waits for. */
export interface LogCursor {
  readonly step: number;
  readonly seq: number;
}

/** A stored chunk's key and size, as the index has them. */
export interface StoredChunkKey extends LogCursor {
  readonly bytes: number;
}

/** The chunks to send now, in order, and the cursor after them. */
export interface ContiguousRun {
  readonly chunks: readonly StoredChunkKey[];
  readonly cursor: LogCursor;
}

/**
 * Takes the contiguous chunks from `keys` (stored at or after `cursor`, in (step, seq) order),
 * stopping at the first gap, before a later step while a step on the way is in `openSteps`, or
 * once `maxBytes` is reached (at least one chunk is always taken).
 */
export function takeContiguous(
  cursor: LogCursor,
  keys: readonly StoredChunkKey[],
  maxBytes: number,
  openSteps: readonly number[],
): ContiguousRun {
  const chunks: StoredChunkKey[] = [];
  let next = cursor;
  let bytes = 0;
  for (const key of keys) {
    const continues = key.step === next.step && key.seq === next.seq;
    const from = next.step;
    const startsLaterStep =
      key.step > from && key.seq === 0 && !openSteps.some((step) => step >= from && step < key.step);
    if (!continues && !startsLaterStep) break;
    if (chunks.length > 0 && bytes + key.bytes > maxBytes) break;
    chunks.push(key);
    bytes += key.bytes;
    next = { step: key.step, seq: key.seq + 1 };
  }
  return { chunks, cursor: next };
}
