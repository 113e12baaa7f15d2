import { describe, expect, it } from '@jest/globals';
import { formatDuration, parseDuration } from '../../../src/shared/durations.js';

describe('parseDuration', () => {
  it.each([
    ['30m', 30 * 60_000],
    ['90s', 90_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['2h15m30s', 8_130_000],
    ['250ms', 250],
    ['1m500ms', 60_500],
    [' 45s ', 45_000],
    ['0', 0],
    ['0s', 0],
  ])('reads %j as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '30', '10 m', '1h 30m', '1d', '-5m', 'm', 'm10', 'ten minutes'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [45_000, '45s'],
    [30 * 60_000, '30m'],
    [5_400_000, '1h30m'],
    [60_500, '1m500ms'],
  ])('formats %d ms as %s, which reads back the same', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});
