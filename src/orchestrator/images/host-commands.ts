/**
 * Commands run on the machine where `gyre` runs (debootstrap, tar, npm), with their output
 * streamed as progress and their failure explained with the last lines they printed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { GyreError } from '../../shared/errors.js';
import type { ProgressListener } from '../../docker/index.js';

const TAIL_LINES = 15;

/** Finds a program on PATH, also in the sbin directories that non-login root shells may lack. */
export function findExecutable(name: string, path = process.env['PATH'] ?? ''): string | undefined {
  const dirs = [...path.split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'].filter((dir) => dir !== '');
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch (error) {
      // Not in this directory (ENOENT) or not executable (EACCES): try the next one.
      if (!isMissing(error)) throw error;
    }
  }
  return undefined;
}

/** Runs a command to completion; its output lines go to `onLine`. Resolves to its stdout. */
export async function runCommand(command: string, args: readonly string[], onLine: ProgressListener): Promise<string> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return collectOutput(child, `${command} ${args.join(' ')}`, onLine);
}

/** Starts a command whose stdout the caller consumes as a stream (such as `tar -c`). */
export function startCommand(
  command: string,
  args: readonly string[],
  onLine: ProgressListener,
): { child: ChildProcess; done: Promise<string> } {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return { child, done: collectOutput(child, `${command} ${args.join(' ')}`, onLine, false) };
}

function collectOutput(
  child: ChildProcess,
  display: string,
  onLine: ProgressListener,
  readStdout = true,
): Promise<string> {
  const tail: string[] = [];
  let stdout = '';
  const record = (text: string) => {
    for (const line of text.split('\n').filter((l) => l.trim() !== '')) {
      onLine(line);
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
    }
  };
  if (readStdout)
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      record(chunk.toString('utf8'));
    });
  child.stderr?.on('data', (chunk: Buffer) => record(chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.on('error', (error) =>
      reject(new GyreError(`Could not run \`${display}\`: ${error.message}`, undefined, { cause: error })),
    );
    child.on('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else
        reject(
          new GyreError(
            `\`${display}\` failed (${signal ?? `exit code ${code}`}). Its last output:\n${tail.map((l) => `  ${l}`).join('\n')}`,
          ),
        );
    });
  });
}

function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'EACCES' || code === 'ENOTDIR';
}
