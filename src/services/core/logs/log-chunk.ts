/**
 * A log chunk as the agent sends it, and the checks it must pass before it is stored.
 */
import { InvalidInputError, type InputProblem } from '../../../shared/errors.js';

/** Largest chunk accepted. The agent cuts output into pieces at most this big. */
export const MAX_CHUNK_BYTES = 1024 * 1024;

/** PostgreSQL `integer`, the type of attempt, step and seq. */
const MAX_INT32 = 2 ** 31 - 1;

/** Where a chunk belongs: one key is stored at most once. */
export interface LogChunkKey {
  readonly jobId: number;
  /** The job's attempt the output belongs to, as leased. */
  readonly attempt: number;
  /** The step's index within the job, from 0. */
  readonly step: number;
  /** The chunk's position within the step's output, from 0 without gaps. */
  readonly seq: number;
}

/** One piece of a step's output. */
export interface LogChunk extends LogChunkKey {
  readonly data: Buffer;
}

/** Names a chunk in messages, e.g. "job 7 attempt 1 step 2 seq 40". */
export function describeChunkKey(key: LogChunkKey): string {
  return `job ${key.jobId} attempt ${key.attempt} step ${key.step} seq ${key.seq}`;
}

/** Throws InvalidInputError listing every field of the chunk that is out of range. */
export function validateLogChunk(chunk: LogChunk): void {
  const problems: InputProblem[] = [
    ...checkInteger('jobId', chunk.jobId, 1, Number.MAX_SAFE_INTEGER),
    ...checkInteger('attempt', chunk.attempt, 0, MAX_INT32),
    // The largest step is reserved for the truncation marker (see log-cap.ts).
    ...checkInteger('step', chunk.step, 0, MAX_INT32 - 1),
    ...checkInteger('seq', chunk.seq, 0, MAX_INT32),
  ];
  if (!Buffer.isBuffer(chunk.data)) {
    problems.push({ input: 'data', message: 'must be bytes (a Buffer)' });
  } else if (chunk.data.length > MAX_CHUNK_BYTES) {
    problems.push({
      input: 'data',
      message: `is ${chunk.data.length} bytes; a chunk holds at most ${MAX_CHUNK_BYTES}`,
      hint: 'split the output into smaller chunks with consecutive seq numbers',
    });
  }
  if (problems.length > 0) throw new InvalidInputError('log chunk', problems);
}

function checkInteger(input: string, value: number, min: number, max: number): InputProblem[] {
  if (Number.isInteger(value) && value >= min && value <= max) return [];
  return [{ input, message: `must be an integer from ${min} to ${max}, got ${String(value)}` }];
}
