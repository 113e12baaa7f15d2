import { describe, expect, it, jest } from '@jest/globals';
import { LogChunker, type LogChunk } from '../../../../src/builder/agent/log-chunker.js';

function collect(options?: ConstructorParameters<typeof LogChunker>[1]) {
  const chunks: LogChunk[] = [];
  return { chunks, chunker: new LogChunker((chunk) => chunks.push(chunk), options) };
}

describe('LogChunker', () => {
  it('numbers chunks per step from 0 without gaps and keeps every byte', () => {
    const { chunks, chunker } = collect();
    chunker.write(1, Buffer.from('a'));
    chunker.write(2, Buffer.from('x'));
    chunker.flush();
    chunker.write(1, Buffer.from('b'));
    chunker.flush();
    expect(chunks.map((c) => [c.step, c.seq, c.data.toString()])).toEqual([
      [1, 0, 'a'],
      [2, 0, 'x'],
      [1, 1, 'b'],
    ]);
  });

  it('gathers writes for the delay, then sends them as one chunk', () => {
    jest.useFakeTimers();
    try {
      const { chunks, chunker } = collect({ delayMs: 200 });
      chunker.write(1, Buffer.from('one '));
      chunker.write(1, Buffer.from('two'));
      expect(chunks).toHaveLength(0);
      jest.advanceTimersByTime(200);
      expect(chunks.map((c) => c.data.toString())).toEqual(['one two']);
    } finally {
      jest.useRealTimers();
    }
  });

  it('splits output larger than the chunk size at the size, in order', () => {
    const { chunks, chunker } = collect({ maxBytes: 4 });
    chunker.write(3, Buffer.from('abcdefghij'));
    chunker.flush();
    expect(chunks.map((c) => [c.seq, c.data.toString()])).toEqual([
      [0, 'abcd'],
      [1, 'efgh'],
      [2, 'ij'],
    ]);
  });

  it('sends nothing on a flush without output', () => {
    const { chunks, chunker } = collect();
    chunker.flush();
    expect(chunks).toEqual([]);
  });
});
