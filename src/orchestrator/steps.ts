/**
 * A long operation as the orchestrator plans it: titled steps, each reporting lines of progress
 * and ending with a one-line summary. The CLI shows them (listr2 on a terminal, plain lines
 * otherwise); the orchestrator never prints.
 */
export interface Step {
  readonly title: string;
  /** Resolves to the line shown once the step is done. */
  run(onLine: (line: string) => void): Promise<string>;
}
