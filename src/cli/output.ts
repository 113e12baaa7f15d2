/**
 * Where commands write. Human text goes to stdout, diagnostics to stderr, and `--json` prints
 * exactly one JSON document on stdout so that scripts can parse it.
 */
export interface Output {
  /** A line for humans. Suppressed in `--json` mode so stdout stays parseable. */
  info(line: string): void;
  /** A warning, always on stderr. */
  warn(line: string): void;
  /** The machine-readable result of a command. */
  json(value: unknown): void;
  readonly jsonMode: boolean;
}

export function createOutput(
  jsonMode: boolean,
  stdout: NodeJS.WritableStream = process.stdout,
  stderr: NodeJS.WritableStream = process.stderr,
): Output {
  return {
    jsonMode,
    info: (line) => {
      if (!jsonMode) stdout.write(`${line}\n`);
    },
    warn: (line) => {
      stderr.write(`warning: ${line}\n`);
    },
    json: (value) => {
      stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
  };
}
