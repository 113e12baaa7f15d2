import { describe, expect, it } from '@jest/globals';
import { formatRoundedByteSize } from '../../../src/shared/byte-size.js';

describe('formatRoundedByteSize', () => {
  it('gives bytes under 1 KiB, then the largest unit reached, with a decimal below 10', () => {
    expect(formatRoundedByteSize(0)).toBe('0 bytes');
    expect(formatRoundedByteSize(1)).toBe('1 byte');
    expect(formatRoundedByteSize(1023)).toBe('1023 bytes');
    expect(formatRoundedByteSize(1024)).toBe('1 KiB');
    expect(formatRoundedByteSize(1536)).toBe('1.5 KiB');
    expect(formatRoundedByteSize(10.4 * 1024)).toBe('10 KiB');
    expect(formatRoundedByteSize(5 * 1024 ** 3 + 1)).toBe('5 GiB');
    expect(formatRoundedByteSize(3 * 1024 ** 5)).toBe('3072 TiB');
  });
});
