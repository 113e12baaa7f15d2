import { describe, expect, it } from '@jest/globals';
import {
  checkMaxAttemptBytes,
  DEFAULT_MAX_ATTEMPT_BYTES,
  truncationMarker,
} from '../../../../../src/services/core/logs/log-cap.js';
import { formatByteSize } from '../../../../../src/shared/byte-size.js';

describe('truncationMarker', () => {
  it('names the cap on a line of its own', () => {
    expect(truncationMarker(DEFAULT_MAX_ATTEMPT_BYTES).toString()).toBe(
      '\n[gyre] log truncated at 64 MiB; the job kept running\n',
    );
    expect(truncationMarker(1024).toString()).toBe('\n[gyre] log truncated at 1 KiB; the job kept running\n');
  });
});

describe('formatByteSize', () => {
  it('uses the largest whole unit', () => {
    expect(formatByteSize(3 * 1024 * 1024)).toBe('3 MiB');
    expect(formatByteSize(10 * 1024 ** 3)).toBe('10 GiB');
    expect(formatByteSize(1536 * 1024)).toBe('1536 KiB');
    expect(formatByteSize(1500)).toBe('1500 bytes');
  });
});

describe('checkMaxAttemptBytes', () => {
  it('rejects a cap that is not a positive whole number, naming the option', () => {
    expect(() => checkMaxAttemptBytes(1)).not.toThrow();
    expect(() => checkMaxAttemptBytes(0)).toThrow('maxAttemptBytes must be a positive integer number of bytes, got 0');
    expect(() => checkMaxAttemptBytes(1.5)).toThrow(RangeError);
  });
});
