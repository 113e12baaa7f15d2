import { describe, expect, it } from '@jest/globals';
import {
  attemptSeparator,
  layoutAttempt,
  layoutAttempts,
  logLength,
  sliceLog,
  type LogSegment,
} from '../../../../../src/services/core/logs/log-layout.js';

/** Renders a layout with each attempt's bytes as letters, to compare against a plain string. */
function render(segments: readonly LogSegment[]): string {
  return segments.map((s) => (s.kind === 'text' ? s.text.toString() : String(s.attempt).repeat(s.bytes))).join('');
}

describe('log layout', () => {
  it('shows one attempt as stored, without a separator', () => {
    expect(render(layoutAttempt({ attempt: 2, bytes: 3, endsWithNewline: false }))).toBe('222');
  });

  it('puts a separator line before every attempt, in attempt order', () => {
    const layout = layoutAttempts([
      { attempt: 2, bytes: 2, endsWithNewline: true },
      { attempt: 1, bytes: 3, endsWithNewline: true },
    ]);
    expect(render(layout)).toBe('--- attempt 1 ---\n111--- attempt 2 ---\n22');
    expect(logLength(layout)).toBe(render(layout).length);
  });

  it('starts the separator on a line of its own after an attempt that stopped mid-line', () => {
    expect(attemptSeparator(3, true).toString()).toBe('\n--- attempt 3 ---\n');
    const layout = layoutAttempts([
      { attempt: 1, bytes: 2, endsWithNewline: false },
      { attempt: 2, bytes: 0, endsWithNewline: false },
      { attempt: 3, bytes: 1, endsWithNewline: false },
    ]);
    expect(render(layout)).toBe('--- attempt 1 ---\n11\n--- attempt 2 ---\n--- attempt 3 ---\n3');
  });

  it('cuts any byte range from the same stream a full read returns', () => {
    const layout = layoutAttempts([
      { attempt: 1, bytes: 5, endsWithNewline: false },
      { attempt: 2, bytes: 7, endsWithNewline: true },
    ]);
    const whole = render(layout);
    for (let start = 0; start <= whole.length; start++) {
      for (let end = start; end <= whole.length + 2; end++) {
        const sliced = sliceLog(layout, start, end)
          .map(({ segment, from, to }) => render([segment]).slice(from, to))
          .join('');
        expect(sliced).toBe(whole.slice(start, end));
      }
    }
  });

  it('returns no slices for an empty range', () => {
    expect(sliceLog(layoutAttempt({ attempt: 1, bytes: 10, endsWithNewline: true }), 4, 4)).toEqual([]);
  });
});
