import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from '@jest/globals';
import { assertDigest, DigestMeter } from '../../../../src/services/blobs/blob-digest.js';
import { assertRange } from '../../../../src/services/blobs/byte-range.js';
import { InvalidInputError, TooLargeError } from '../../../../src/shared/errors.js';

const DIGEST = createHash('sha256').update('x').digest('hex');

describe('assertDigest', () => {
  it('takes a lowercase sha256 hex digest', () => {
    expect(() => assertDigest(DIGEST)).not.toThrow();
  });

  it.each([
    ['a path', '../../etc/passwd'],
    ['uppercase hex', DIGEST.toUpperCase()],
    ['one character short', DIGEST.slice(1)],
    ['one character long', `${DIGEST}0`],
    ['a digest with a path after it', `${DIGEST}/x`],
    ['a digest with a newline after it', `${DIGEST}\n`],
    ['nothing', ''],
  ])('refuses %s, naming the input and what it must be', (_what, digest) => {
    expect(() => assertDigest(digest)).toThrow(InvalidInputError);
    expect(() => assertDigest(digest)).toThrow(/digest: "[\s\S]*" is not a sha256 digest[\s\S]*64 lowercase hex/);
  });

  it('shortens a long bad value in its message', () => {
    expect(() => assertDigest('a'.repeat(10_000))).toThrow(`"${'a'.repeat(80)}…"`);
  });
});

describe('assertRange', () => {
  it.each([undefined, { start: 0 }, { start: 5, end: 5 }, { start: 0, end: 2 ** 40 }])('takes %j', (range) => {
    expect(() => assertRange(range)).not.toThrow();
  });

  it.each([
    [{ start: -1 }, 'start -1 is not a byte offset'],
    [{ start: 1.5 }, 'start 1.5 is not a byte offset'],
    [{ start: 5, end: 4 }, 'end 4 is not a byte offset at or after the start, 5'],
    [{ start: 0, end: Number.NaN }, 'end NaN is not a byte offset'],
  ])('refuses %j', (range, message) => {
    expect(() => assertRange(range)).toThrow(message);
  });
});

describe('DigestMeter', () => {
  const meter = async (chunks: string[], maxBytes?: number) => {
    const digesting = new DigestMeter(maxBytes);
    await pipeline(Readable.from(chunks.map((c) => Buffer.from(c))), digesting, async (source) => {
      for await (const _ of source);
    });
    return digesting.stored();
  };

  it('hashes and counts what passes, and lets it through', async () => {
    expect(await meter(['ab', 'c'])).toEqual({ digest: createHash('sha256').update('abc').digest('hex'), size: 3 });
  });

  it('takes exactly maxBytes and fails on the next byte with a TooLargeError naming the limit', async () => {
    expect((await meter(['ab', 'c'], 3)).size).toBe(3);
    await expect(meter(['ab', 'cd'], 3)).rejects.toThrow(new TooLargeError('the upload', 3));
  });
});
