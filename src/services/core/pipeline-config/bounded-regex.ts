/**
 * Regular expressions from pipeline configs, run with a time limit. A config may come from a
 * fork's pull request, and JavaScript's regexes backtrack: `/(a+)+$/` against a 40-character name
 * runs for minutes and would stall the services box. Each match runs as a script in a `node:vm`
 * context with a timeout, which interrupts the regex itself; a pattern that runs out of time is a
 * config error naming it, never a hang. (About 0.3 ms per match, against microseconds unbounded.)
 */
import { createContext, Script } from 'node:vm';

export const REGEX_TIME_LIMIT_MS = 50;

/** A pattern that ran longer than the limit on a value. */
export class RegexTimeoutError extends Error {
  constructor(
    readonly source: string,
    readonly value: string,
  ) {
    super(
      `the regular expression /${source}/ ran longer than ${REGEX_TIME_LIMIT_MS} ms on "${value}" and was stopped; simplify it (nested repetition like (a+)+ makes regexes take exponential time)`,
    );
  }
}

const FULL_MATCH = new Script('pattern.test(value)');
const sandbox = createContext({ pattern: /(?:)/, value: '' });

/** Whether `source` matches all of `value`, as CircleCI's filters and `matches` require. */
export function fullMatch(source: string, value: string): boolean {
  sandbox['pattern'] = new RegExp(`^(?:${source})$`);
  sandbox['value'] = value;
  try {
    return FULL_MATCH.runInContext(sandbox, { timeout: REGEX_TIME_LIMIT_MS }) === true;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT')
      throw new RegexTimeoutError(source, value);
    throw error;
  }
}
