/**
 * Which stored chunks a live reader may be sent. Chunks can arrive out of order, and the log's
 * bytes are in (step, seq) order, so a step's chunks are sent only once there is no gap before
 * them. The stream moves on to a later step when that step's seq 0 is stored and the current
 * step has no stored chunk after a gap.
 *
 * Limitation: a chunk of a step that arrives after the stream has moved past that step is
 * stored (and served by `GET /log`) but is not sent live; the agent sends a step's output
 * before the next step's, so only a chunk resent late across a step boundary can be missed.
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
 * stopping at the first gap or once `maxBytes` is reached (at least one chunk is always taken).
 */
export function takeContiguous(cursor: LogCursor, keys: readonly StoredChunkKey[], maxBytes: number): ContiguousRun {
  const chunks: StoredChunkKey[] = [];
  let next = cursor;
  let bytes = 0;
  for (const key of keys) {
    const continues = key.step === next.step && key.seq === next.seq;
    const startsLaterStep = key.step > next.step && key.seq === 0;
    if (!continues && !startsLaterStep) break;
    if (chunks.length > 0 && bytes + key.bytes > maxBytes) break;
    chunks.push(key);
    bytes += key.bytes;
    next = { step: key.step, seq: key.seq + 1 };
  }
  return { chunks, cursor: next };
}
