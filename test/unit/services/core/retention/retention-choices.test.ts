import { describe, expect, it } from '@jest/globals';
import {
  cachesToEvict,
  expiryCutoff,
  orphansOf,
  type CacheUse,
} from '../../../../../src/services/core/retention/retention-choices.js';

const at = (iso: string) => new Date(iso);
const cache = (id: number, size: number, lastUsedAt: string): CacheUse => ({ id, size, lastUsedAt: at(lastUsedAt) });

describe('expiryCutoff', () => {
  it('is whole days before now', () => {
    expect(expiryCutoff(at('2025-03-31T12:00:00Z'), 15)).toEqual(at('2025-03-16T12:00:00Z'));
  });
});

describe('cachesToEvict', () => {
  const caches = [
    cache(1, 400, '2025-03-03T00:00:00Z'),
    cache(2, 300, '2025-03-01T00:00:00Z'),
    cache(3, 200, '2025-03-02T00:00:00Z'),
    cache(4, 100, '2025-03-02T00:00:00Z'),
  ];

  it('evicts the least recently used first, the older id first among equals, until the rest fit', () => {
    // 1000 bytes in all: down to 600 takes the March 1st cache, then the older of the two of March 2nd
    expect(cachesToEvict(caches, 600).map((c) => c.id)).toEqual([2, 3]);
    expect(cachesToEvict(caches, 699).map((c) => c.id)).toEqual([2, 3]);
    expect(cachesToEvict(caches, 700).map((c) => c.id)).toEqual([2]);
  });

  it('evicts nothing under the limit, and everything when even the newest is too large', () => {
    expect(cachesToEvict(caches, 1000)).toEqual([]);
    expect(cachesToEvict([], 0)).toEqual([]);
    expect(cachesToEvict(caches, 399).map((c) => c.id)).toEqual([2, 3, 4, 1]);
  });
});

describe('orphansOf', () => {
  const now = at('2025-03-10T12:00:00Z');
  const hour = 60 * 60 * 1000;
  const blob = (digest: string, modifiedAt: string) => ({ digest, size: 1, modifiedAt: at(modifiedAt) });

  it('takes blobs no row names that were last written over the grace period ago', () => {
    const blobs = [
      blob('named-old', '2025-03-01T00:00:00Z'),
      blob('orphan-old', '2025-03-10T10:59:59Z'),
      blob('orphan-just-an-hour', '2025-03-10T11:00:00Z'),
      blob('orphan-in-flight', '2025-03-10T11:59:00Z'),
    ];
    expect(orphansOf(blobs, new Set(['named-old']), now, hour).map((b) => b.digest)).toEqual(['orphan-old']);
  });
});
