import { describe, expect, it } from '@jest/globals';
import { ImageToolsCache } from '../../../../src/builder/runner/image-tools-cache.js';

const BASH = { hasBash: true, hasSetsid: true };
const SH = { hasBash: false, hasSetsid: false };

describe('ImageToolsCache', () => {
  it('keys by image id, user and variables, each of which tells containers apart', () => {
    const key = ImageToolsCache.keyOf('sha256:a', undefined, ['PATH=/bin']);
    expect(
      new Set([
        key,
        ImageToolsCache.keyOf('sha256:b', undefined, ['PATH=/bin']),
        ImageToolsCache.keyOf('sha256:a', 'root', ['PATH=/bin']),
        ImageToolsCache.keyOf('sha256:a', undefined, ['PATH=/opt/bin']),
        ImageToolsCache.keyOf('sha256:a', undefined, ['PATH=/bin', 'X=1']),
      ]).size,
    ).toBe(5);
    expect(ImageToolsCache.keyOf('sha256:a', undefined, ['PATH=/bin'])).toBe(key);
  });

  it('forgets the least recently stored entry past its size', () => {
    const cache = new ImageToolsCache(2);
    cache.set('a', BASH);
    cache.set('b', SH);
    cache.set('a', BASH);
    cache.set('c', SH);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([BASH, undefined, SH]);
  });
});
