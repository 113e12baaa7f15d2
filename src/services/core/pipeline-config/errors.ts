/**
 * Config errors carry the 1-based line and column of the node a user must edit, plus the
 * logical path to it, so the UI and the API can point at the exact spot in `.circleci/config.yml`.
 */

/** A 1-based position in the config text. */
export interface Position {
  readonly line: number;
  readonly column: number;
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
}

/** The start of a document: where errors about the whole file point. */
export const DOCUMENT_START: Position = { line: 1, column: 1 };

/**
 * Collects every problem instead of stopping at the first, so one push shows the user all of
 * them. The same node can be reached more than once (a job used by two workflows, a YAML alias),
 * so identical reports are kept once.
 */
export class ErrorCollector {
  readonly #errors = new Map<string, ConfigError>();

  /** Records a problem at `at` (a node's position). */
  add(at: Position, path: string, message: string): void {
    const error: ConfigError = { line: at.line, column: at.column, path, message };
    this.#errors.set(`${at.line}:${at.column}:${path}:${message}`, error);
  }

  /** Whether anything has been reported so far. */
  get count(): number {
    return this.#errors.size;
  }

  /** Every problem, in document order. */
  list(): ConfigError[] {
    return [...this.#errors.values()].sort(
      (a, b) => a.line - b.line || a.column - b.column || a.path.localeCompare(b.path),
    );
  }
}

/** Joins a path and a map key, as in `jobs.build`. */
export function childPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

/** Joins a path and a list index, as in `steps[2]`. */
export function itemPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}
