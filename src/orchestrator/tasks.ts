/**
 * A long operation as the orchestrator plans it: titled tasks, each reporting lines of progress
 * and resolving to its result (by default, the one-line summary shown once it is done). The CLI
 * shows them (listr2 on a terminal, plain lines otherwise); the orchestrator never prints.
 */
export interface Task<T = string> {
  readonly title: string;
  run(onLine: (line: string) => void): Promise<T>;
}
