/**
 * Runs the `gyre` command line in-process, the way src/cli.ts does, and captures what a user
 * would see: the exit code, stdout and stderr.
 */
import { jest } from '@jest/globals';
import { exitCodeFor } from '../../../src/cli/handle-errors.js';
import { createProgram } from '../../../src/cli/program.js';

export interface GyreRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runGyre(...args: string[]): Promise<GyreRun> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const capture = (into: string[]) =>
    ((chunk: string | Uint8Array) => (into.push(String(chunk)), true)) as typeof process.stdout.write;
  const outSpy = jest.spyOn(process.stdout, 'write').mockImplementation(capture(stdout));
  const errSpy = jest.spyOn(process.stderr, 'write').mockImplementation(capture(stderr));
  const previousExitCode = process.exitCode;
  process.exitCode = undefined;
  let code: number;
  try {
    const argv = ['node', 'gyre', ...args];
    await (await createProgram(argv)).parseAsync(argv);
    code = Number(process.exitCode ?? 0);
  } catch (error) {
    code = exitCodeFor(error);
  } finally {
    outSpy.mockRestore();
    errSpy.mockRestore();
    process.exitCode = previousExitCode;
  }
  return { code, stdout: stdout.join(''), stderr: stderr.join('') };
}
