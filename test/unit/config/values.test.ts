import { describe, expect, it } from '@jest/globals';
import { formatDuration, formatMemorySize, parseDuration, parseMemorySize } from '../../../src/config/index.js';

const KiB = 1024;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

describe('parseMemorySize', () => {
  it.each([
    ['4G', 4 * GiB],
    ['4g', 4 * GiB],
    ['4GB', 4 * GiB],
    ['4GiB', 4 * GiB],
    ['4 G', 4 * GiB],
    [' 512M ', 512 * MiB],
    ['1.5g', 1.5 * GiB],
    ['64k', 64 * KiB],
    ['1T', 1024 * GiB],
    ['1073741824', GiB],
    ['100b', 100],
  ])('reads %j as %d bytes, the way Docker does', (text, bytes) => {
    expect(parseMemorySize(text)).toBe(bytes);
  });

  it.each(['', 'G', '4X', '4 gigs', '-4G', '4GG', '4bb', '4ib', '4.G', '1e9'])('rejects %j', (text) => {
    expect(parseMemorySize(text)).toBeUndefined();
  });
});

describe('formatMemorySize', () => {
  it.each([4 * GiB, 1536 * MiB, 64 * KiB, 2 * 1024 * GiB, 1000])('writes %d bytes so that parseMemorySize reads them back', (bytes) => {
    expect(parseMemorySize(formatMemorySize(bytes))).toBe(bytes);
  });

  it('uses the largest exact unit', () => {
    expect([4 * GiB, 1536 * MiB, 1000].map(formatMemorySize)).toEqual(['4G', '1536M', '1000']);
  });
});

describe('parseDuration', () => {
  it.each([
    ['30m', 30 * 60_000],
    ['90s', 90_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['2h15m30s', 8_130_000],
    ['250ms', 250],
    ['1m500ms', 60_500],
    [' 45s ', 45_000],
    ['0', 0],
    ['0s', 0],
  ])('reads %j as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '30', '1 h', '1h 30m', '1d', '-5m', '1.5h', 'm', 'soon'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [45_000, '45s'],
    [30 * 60_000, '30m'],
    [5_400_000, '1h30m'],
    [8_130_000, '2h15m30s'],
    [60_500, '1m500ms'],
    [26 * 3_600_000, '26h'],
  ])('writes %d ms as %j, which Compose accepts', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each(['30m', '1h30m', '90s', '0', '2h15m30s', '1m500ms', '45m0s'])('round-trips %j through parse and format', (text) => {
    const ms = parseDuration(text)!;
    expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});
