/**
 * The one place where a `gyre` command's failure becomes an exit code and a message.
 * Expected failures (GyreError) print their message; anything else is a bug and says so.
 */
import { CommanderError } from 'commander';
import { ExitCode, GyreError } from '../shared/errors.js';

export function exitCodeFor(error: unknown, stderr: NodeJS.WritableStream = process.stderr): ExitCode {
  // Commander has already printed usage errors and help; only the exit code is left to decide.
  if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.invalidInput;
  if (error instanceof GyreError) {
    stderr.write(`error: ${error.message}\n`);
    if (error.cause instanceof Error && process.env['GYRE_DEBUG']) stderr.write(`${error.cause.stack}\n`);
    return error.exitCode;
  }
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  stderr.write(
    `internal error: ${stack}\nThis is a bug in Gyre. Please report it with the command you ran and the output above.\n`,
  );
  return ExitCode.internal;
}
