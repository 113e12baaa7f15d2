import { describe, expect, it } from '@jest/globals';
import { formatContentRange, parseByteRange } from '../../../../../src/services/core/logs/byte-range.js';

describe('parseByteRange', () => {
  it.each([
    ['bytes=0-99', { kind: 'partial', start: 0, end: 99 }],
    ['bytes=990-', { kind: 'partial', start: 990, end: 999 }],
    ['bytes=-10', { kind: 'partial', start: 990, end: 999 }],
    ['bytes=-5000', { kind: 'partial', start: 0, end: 999 }],
    ['bytes=500-5000', { kind: 'partial', start: 500, end: 999 }],
    ['bytes=999-999', { kind: 'partial', start: 999, end: 999 }],
    ['Bytes = 1-2 ', { kind: 'partial', start: 1, end: 2 }],
  ])('reads %s of a 1000-byte log as the bytes it names, clamped to the end', (header, expected) => {
    expect(parseByteRange(header, 1000)).toEqual(expected);
  });

  it.each([
    ['bytes=1000-', 1000],
    ['bytes=1000-2000', 1000],
    ['bytes=-0', 1000],
    ['bytes=0-', 0],
    ['bytes=-1', 0],
  ])('finds %s of a %i-byte log unsatisfiable', (header, size) => {
    expect(parseByteRange(header, size)).toEqual({ kind: 'unsatisfiable' });
  });

  it.each([undefined, '', 'bytes=', 'bytes=-', 'bytes=5-1', 'items=0-1', 'bytes=0-1,5-9', 'bytes=a-b', 'bytes=1.5-2'])(
    'ignores %p, which a server may ignore, and sends the whole log',
    (header) => {
      expect(parseByteRange(header, 1000)).toEqual({ kind: 'whole' });
    },
  );
});

describe('formatContentRange', () => {
  it('names the bytes sent and the full size, or only the size for a 416', () => {
    expect(formatContentRange({ kind: 'partial', start: 10, end: 19 }, 100)).toBe('bytes 10-19/100');
    expect(formatContentRange({ kind: 'unsatisfiable' }, 100)).toBe('bytes */100');
  });
});
