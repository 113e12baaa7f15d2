import { formatDuration } from './durations.js';
import { formatByteSize } from './byte-size.js';

/**
 * The small set of error classes Gyre uses. Boundaries (the CLI handler, the HTTP layer and the
 * Docker adapter) map them to exit codes and status codes; everything else just throws.
 */

/** Exit codes with one meaning each, shared by every `gyre` command. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  /** The user's input (flags, `.env`, files) is invalid; nothing was changed. */
  invalidInput: 2,
  /** A Docker host, the services box or another dependency could not be reached. */
  unavailable: 3,
  /** An operation did not finish within its time limit. */
  timeout: 4,
  /** An internal error: a bug in Gyre. */
  internal: 70,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An expected failure that ends a command with a specific exit code and a message for humans. */
export class GyreError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.failure,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One problem with one named input, with the hint that fixes it. */
export interface InputProblem {
  /** The input that is wrong: a variable, a flag, a file or a path inside a document. */
  readonly input: string;
  /** What is wrong with it, and what was expected. */
  readonly message: string;
  /** How to fix it. */
  readonly hint?: string;
}

/** Bad input from a user. Lists every problem at once so a single edit can fix them all. */
export class InvalidInputError extends GyreError {
  constructor(
    readonly source: string,
    readonly problems: readonly InputProblem[],
  ) {
    super(formatProblems(source, problems), ExitCode.invalidInput);
  }
}

/** Something Gyre depends on did not answer: a Docker host, PostgreSQL, the services box. */
export class UnavailableError extends GyreError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.unavailable, options);
  }
}

/** An operation ran out of time. The message says what it waited for and for how long. */
export class TimeoutError extends GyreError {
  constructor(what: string, waitedMs: number, options?: ErrorOptions) {
    super(`Timed out after ${formatDuration(waitedMs)} waiting for ${what}`, ExitCode.timeout, options);
  }
}

function formatProblems(source: string, problems: readonly InputProblem[]): string {
  const lines = problems.map((p) => `  - ${p.input}: ${p.message}${p.hint ? `\n    fix: ${p.hint}` : ''}`);
  const noun = problems.length === 1 ? 'problem' : 'problems';
  return `${source} has ${problems.length} ${noun}:\n${lines.join('\n')}`;
}

/** A named thing does not exist. The HTTP layer answers 404. */
export class NotFoundError extends GyreError {
  constructor(what: string) {
    super(`${what} does not exist`, ExitCode.invalidInput);
  }
}

/** The request clashes with the current state, e.g. a name that is taken. The HTTP layer answers 409 with `code`. */
export class ConflictError extends GyreError {
  constructor(
    message: string,
    readonly code: string = 'conflict',
  ) {
    super(message, ExitCode.invalidInput);
  }
}

/** The request is understood but not allowed, e.g. sign-up while it is closed. The HTTP layer answers 403 with `code`. */
export class ForbiddenError extends GyreError {
  constructor(
    message: string,
    readonly code: string = 'forbidden',
  ) {
    super(message, ExitCode.invalidInput);
  }
}

/** The message of anything thrown: an Error's own message, else its text. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Like {@link messageOf}, with the cause's message after it: fetch's "fetch failed (connect ECONNREFUSED ...)". */
export function messageWithCauseOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message;
}

/** Bytes over a size limit: a cache, artifact or upload. The message names the limit; the HTTP layer answers 413. */
export class TooLargeError extends GyreError {
  /** `setting`: the setting that holds the limit, named so the reader knows what to raise. */
  constructor(
    what: string,
    readonly limitBytes: number,
    setting?: string,
  ) {
    super(
      `${what} is over the size limit of ${formatByteSize(limitBytes)}${setting ? ` (${setting})` : ''}`,
      ExitCode.invalidInput,
    );
  }
}

/** A state the code's own order rules out: a bug in Gyre, reported as internal (exit 70). */
export function internal(message: string): never {
  throw new Error(`internal: ${message}`);
}
