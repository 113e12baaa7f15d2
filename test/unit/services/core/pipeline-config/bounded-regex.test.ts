import { describe, expect, it } from '@jest/globals';
import {
  fullMatch,
  REGEX_BUDGET_MS,
  REGEX_TIME_LIMIT_MS,
  RegexTimeoutError,
  withRegexBudget,
} from '../../../../../src/services/core/pipeline-config/bounded-regex.js';
import {
  DEFAULT_RESOURCE_CLASSES,
  parsePipelineConfig,
} from '../../../../../src/services/core/pipeline-config/index.js';

// GIVEN regular expressions a config (maybe a fork's) brings, WHEN Gyre matches them against
// branch names and values, THEN ordinary ones match as before, and one that backtracks for ever
// is stopped at the time limit and reported naming it, instead of stalling the services box.

const CATASTROPHIC = '(a+)+';
const NAME = `${'a'.repeat(40)}b`;

describe('fullMatch', () => {
  it('matches the whole value, as CircleCI filters do', () => {
    expect(fullMatch('release-.*', 'release-1.2')).toBe(true);
    expect(fullMatch('release', 'release-1.2')).toBe(false);
    expect(fullMatch('v[0-9]+(\\.[0-9]+)*', 'v1.20.3')).toBe(true);
    // The whole of an alternation, not just its last branch, must match all of the value.
    expect(fullMatch('main|rc', 'main-x')).toBe(false);
    expect(fullMatch('main|rc', 'rc')).toBe(true);
  });

  it('stops a pattern that backtracks for ever at the time limit, naming the pattern and the value', () => {
    const started = process.hrtime.bigint();
    expect(() => fullMatch(CATASTROPHIC, NAME)).toThrow(RegexTimeoutError);
    // Unbounded, this match runs for minutes; the limit stops it (generous bound for a loaded machine).
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(REGEX_TIME_LIMIT_MS * 100);
    expect(() => fullMatch(CATASTROPHIC, NAME)).toThrow(
      `the regular expression /(a+)+/ ran longer than ${REGEX_TIME_LIMIT_MS} ms on "${NAME}"`,
    );
  });
});

describe('withRegexBudget', () => {
  it('stops the matches of one config once they took the budget together, and still answers what it remembers', () => {
    withRegexBudget(() => {
      expect(fullMatch('release-.*', 'release-1')).toBe(true);
      // Slow patterns, each stopped at the one-match limit or under it, until together they spend the budget
      // (distinct values, so nothing is remembered).
      const stops: string[] = [];
      for (let length = 18; length < 80 && !stops.some((m) => m.includes('together')); length += 1) {
        try {
          fullMatch(CATASTROPHIC, `${'a'.repeat(length)}b`);
        } catch (caught) {
          expect(caught).toBeInstanceOf(RegexTimeoutError);
          stops.push(String(caught));
        }
      }
      expect(stops.at(-1)).toContain(`ran longer than ${REGEX_BUDGET_MS} ms together`);
      // The budget is spent: a new match is refused at once, naming where it stopped; a remembered one is answered.
      expect(() => fullMatch('release-.*', 'release-2')).toThrow(
        `the config's regular expressions ran longer than ${REGEX_BUDGET_MS} ms together and were stopped at /release-.*/ on "release-2"`,
      );
      expect(fullMatch('release-.*', 'release-1')).toBe(true);
    });
  });

  it('gives each config its own budget', () => {
    withRegexBudget(() => expect(() => fullMatch(CATASTROPHIC, NAME)).toThrow(RegexTimeoutError));
    withRegexBudget(() => expect(fullMatch('release-.*', 'release-2')).toBe(true));
  });
});

describe('a matches statement whose pattern runs out of time', () => {
  it('is a config error at the pattern, and the rest of the config is still checked', () => {
    const result = parsePipelineConfig(
      `version: 2.1
jobs:
  build: { docker: [{ image: alpine }], steps: [checkout] }
workflows:
  w:
    when:
      matches: { pattern: "${CATASTROPHIC}", value: "${NAME}" }
    jobs: [build, missing]
`,
      { resourceClasses: DEFAULT_RESOURCE_CLASSES },
    );
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors.map((e) => `${e.line}:${e.column} ${e.message}`)).toEqual([
      `7:27 ${new RegexTimeoutError(CATASTROPHIC, NAME).message}`,
      '8:19 unknown job "missing"; jobs defined under `jobs:`: build',
    ]);
  });
});
