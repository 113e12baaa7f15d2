/**
 * Regular expressions from pipeline configs, run with time limits. A config may come from a
 * fork's pull request, and JavaScript's regexes backtrack: `/(a+)+$/` against a 40-character name
 * runs for minutes and would stall the services box. Each match runs as a script in a `node:vm`
 * context with a timeout, which interrupts the regex itself, and a config's matches share one
 * budget (`withRegexBudget`), so many slow-but-not-too-slow patterns cannot add up to a stall
 * either. Results are remembered per pattern and value for the same reason. A pattern that runs
 * out of time is a config error naming it, never a hang. (About 0.3 ms per match.)
 */
import { performance } from 'node:perf_hooks';
import { createContext, Script } from 'node:vm';

/** One match's limit: wall-clock time, so generous enough that a GC pause does not trip it. */
export const REGEX_TIME_LIMIT_MS = 200;
/** What all the matches of one config may take together. */
export const REGEX_BUDGET_MS = 2_000;

/** A pattern that ran longer than its limit, or the config's regexes together longer than the budget. */
export class RegexTimeoutError extends Error {
  constructor(
    readonly source: string,
    readonly value: string,
    limit: 'match' | 'budget' = 'match',
  ) {
    const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
    super(
      limit === 'match'
        ? `the regular expression /${source}/ ran longer than ${REGEX_TIME_LIMIT_MS} ms on "${shown}" and was stopped; simplify it (nested repetition like (a+)+ makes regexes take exponential time)`
        : `the config's regular expressions ran longer than ${REGEX_BUDGET_MS} ms together and were stopped at /${source}/ on "${shown}"; simplify them`,
    );
  }
}

const FULL_MATCH = new Script('pattern.test(value)');
const sandbox = createContext({ pattern: /(?:)/, value: '' });

/** The budget of the config being planned: its deadline, and what its patterns gave. */
let budget: { readonly deadline: number; readonly results: Map<string, boolean> } | undefined;

/** Runs `work` (synchronous: parsing and planning one config) with one time budget for all its matches. */
export function withRegexBudget<T>(work: () => T): T {
  const outer = budget;
  budget = { deadline: performance.now() + REGEX_BUDGET_MS, results: new Map() };
  try {
    return work();
  } finally {
    budget = outer;
  }
}

/** Whether `source` matches all of `value`, as CircleCI's filters and `matches` require. */
export function fullMatch(source: string, value: string): boolean {
  const key = JSON.stringify([source, value]);
  const known = budget?.results.get(key);
  if (known !== undefined) return known;
  const left = budget === undefined ? REGEX_TIME_LIMIT_MS : budget.deadline - performance.now();
  if (left < 1) throw new RegexTimeoutError(source, value, 'budget');
  const limit = Math.min(REGEX_TIME_LIMIT_MS, left);
  sandbox['pattern'] = new RegExp(`^(?:${source})$`);
  sandbox['value'] = value;
  let result: boolean;
  try {
    result = FULL_MATCH.runInContext(sandbox, { timeout: Math.ceil(limit) }) === true;
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw error;
    throw new RegexTimeoutError(source, value, limit < REGEX_TIME_LIMIT_MS ? 'budget' : 'match');
  }
  budget?.results.set(key, result);
  return result;
}
