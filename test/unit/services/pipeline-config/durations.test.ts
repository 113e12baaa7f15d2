import { describe, expect, it } from '@jest/globals';
import { parseDuration } from '../../../../src/services/pipeline-config/durations.js';

describe('CircleCI durations', () => {
  it.each([
    ['30s', 30_000],
    ['10m', 600_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['250ms', 250],
    [' 20m ', 1_200_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '10', 'ten minutes', '10 m', '0s', '-5m', '1d', 'm10'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
