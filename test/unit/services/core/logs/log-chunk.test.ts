import { describe, expect, it } from '@jest/globals';
import {
  describeChunkKey,
  MAX_CHUNK_BYTES,
  validateLogChunk,
  type LogChunk,
} from '../../../../../src/services/core/logs/log-chunk.js';
import { InvalidInputError } from '../../../../../src/shared/errors.js';

const good: LogChunk = { jobId: 7, attempt: 1, step: 0, seq: 0, data: Buffer.from('hello\n') };

describe('validateLogChunk', () => {
  it('accepts a chunk with in-range numbers, an empty one and one of the largest size', () => {
    expect(() => validateLogChunk(good)).not.toThrow();
    expect(() => validateLogChunk({ ...good, data: Buffer.alloc(0) })).not.toThrow();
    expect(() => validateLogChunk({ ...good, seq: 2 ** 31 - 1, data: Buffer.alloc(MAX_CHUNK_BYTES) })).not.toThrow();
  });

  it('lists every bad input with what was expected', () => {
    const attempt = () =>
      validateLogChunk({ jobId: 0, attempt: -1, step: 0.5, seq: Number.NaN, data: Buffer.alloc(MAX_CHUNK_BYTES + 1) });
    expect(attempt).toThrow(InvalidInputError);
    expect(attempt).toThrow(/jobId: must be an integer from 1 to \d+, got 0/);
    expect(attempt).toThrow(/attempt: must be an integer from 0 to 2147483647, got -1/);
    expect(attempt).toThrow(/step: .* got 0.5/);
    expect(attempt).toThrow(/seq: .* got NaN/);
    expect(attempt).toThrow(`data: is ${MAX_CHUNK_BYTES + 1} bytes; a chunk holds at most ${MAX_CHUNK_BYTES}`);
  });

  it('rejects data that is not bytes', () => {
    expect(() => validateLogChunk({ ...good, data: 'hello' as unknown as Buffer })).toThrow(
      'data: must be bytes (a Buffer)',
    );
  });
});

describe('describeChunkKey', () => {
  it('names every part of the key', () => {
    expect(describeChunkKey(good)).toBe('job 7 attempt 1 step 0 seq 0');
  });
});
