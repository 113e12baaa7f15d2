/**
 * Config errors carry the 1-based line and column of the node a user must edit, plus the
 * logical path to it, so the UI and the API can point at the exact spot in `.circleci/config.yml`.
 */

/** A 1-based position in the config text, or in the text of an orb the config imports. */
export interface Position {
  readonly line: number;
  readonly column: number;
  /**
   * The orb whose definitions the node belongs to, by its alias path (`node`, or `node/os-detect`
   * for an orb `node` depends on); absent for the config's own. Names in the node resolve there.
   */
  readonly scope?: string;
  /** The imported orb (`circleci/node@7.2.1`) whose text `line` and `column` are in; absent for the config. */
  readonly orb?: string;
}

/** One problem with a pipeline config. */
export interface ConfigError {
  /** 1-based line of the offending node. */
  readonly line: number;
  /** 1-based column of the offending node. */
  readonly column: number;
  /** Logical path to the node, e.g. `jobs.build.steps[2].run`; empty for the document itself. */
  readonly path: string;
  /** What is wrong, what was expected, and how to fix it. */
  readonly message: string;
  /** Set when `line` and `column` are in this imported orb's text (`circleci/node@7.2.1`), not the config. */
  readonly orb?: string;
}

/** The start of a document: where errors about the whole file point. */
export const DOCUMENT_START: Position = { line: 1, column: 1 };

/**
 * Something the config says that Gyre ignores, as CircleCI does (an image's `ports`, say). It does
 * not stop the pipeline; it tells the user the line does nothing. Same shape as an error.
 */
export type ConfigWarning = ConfigError;

/**
 * Collects every problem instead of stopping at the first, so one push shows the user all of
 * them, and the warnings beside them. The same node can be reached more than once (a job used by
 * two workflows, a YAML alias), so identical reports are kept once.
 */
export class ErrorCollector {
  readonly #errors = new Map<string, ConfigError>();
  readonly #warnings = new Map<string, ConfigWarning>();

  /** Records a problem at `at` (a node's position). */
  add(at: Position, path: string, message: string): void {
    record(this.#errors, at, path, message);
  }

  /** Records a warning at `at`: accepted, but worth telling the user about. */
  warn(at: Position, path: string, message: string): void {
    record(this.#warnings, at, path, message);
  }

  /** How many problems (not warnings) have been reported so far. */
  get count(): number {
    return this.#errors.size;
  }

  /** Every problem, in document order. */
  list(): ConfigError[] {
    return inDocumentOrder(this.#errors);
  }

  /** Every warning, in document order. */
  warnings(): ConfigWarning[] {
    return inDocumentOrder(this.#warnings);
  }
}

function record(into: Map<string, ConfigError>, at: Position, path: string, message: string): void {
  into.set(`${at.orb ?? ''}:${at.line}:${at.column}:${path}:${message}`, {
    line: at.line,
    column: at.column,
    path,
    message,
    ...(at.orb !== undefined && { orb: at.orb }),
  });
}

/** The config's own problems first, then each imported orb's, each in text order. */
function inDocumentOrder(reports: ReadonlyMap<string, ConfigError>): ConfigError[] {
  return [...reports.values()].sort(
    (a, b) =>
      (a.orb ?? '').localeCompare(b.orb ?? '') ||
      a.line - b.line ||
      a.column - b.column ||
      a.path.localeCompare(b.path),
  );
}

/** Joins a path and a map key, as in `jobs.build`. */
export function childPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

/** Joins a path and a list index, as in `steps[2]`. */
export function itemPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}
