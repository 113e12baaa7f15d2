/**
 * The private folder a backup archive is worked in: `create` writes the set there and packs it,
 * `verify` and `restore` unpack it there and read it. The folder is this process's business only,
 * so what the user hears names the archive instead: `FILE.tar/2026-12-07T09-30-00Z/manifest.json`.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { InvalidInputError } from '../../shared/errors.js';
import type { Task } from '../tasks.js';

export interface ArchiveFolder {
  /** The archive, absolute. */
  readonly archive: string;
  /** The folder, absolute; there once {@link make} has run. */
  readonly dir: string;
  /** Makes the folder (and its parent), for this user only. */
  readonly make: () => void;
  /** `task`, naming the archive wherever its title, lines, result or failure name the folder. */
  readonly naming: (task: Task) => Task;
  /** Removes the folder and all in it; safe before {@link make} and twice. */
  readonly remove: () => Promise<void>;
}

/** A folder of its own in `parent` for the archive `archive` (absolute). */
export function archiveFolder(archive: string, parent: string): ArchiveFolder {
  const dir = join(parent, `${basename(archive)}.${randomUUID()}.d`);
  const shown = (text: string) => text.replaceAll(dir, archive);
  return {
    archive,
    dir,
    make: () => {
      mkdirSync(parent, { recursive: true, mode: 0o700 });
      // Not recursive: a folder already there under this random name is not ours.
      mkdirSync(dir, { mode: 0o700 });
    },
    naming: (task) => ({
      title: shown(task.title),
      run: async (onLine) => {
        try {
          return shown(await task.run((line) => onLine(shown(line))));
        } catch (error) {
          throw renamed(error, shown);
        }
      },
    }),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** `error` with its words passed through `shown`: an input error's problems too, so they agree. */
function renamed(error: unknown, shown: (text: string) => string): unknown {
  // What does not name the folder (the services stack's failures, Docker's) passes as it is.
  if (!(error instanceof Error) || shown(error.message) === error.message) return error;
  if (error instanceof InvalidInputError)
    return new InvalidInputError(
      shown(error.source),
      error.problems.map((problem) => ({
        input: shown(problem.input),
        message: shown(problem.message),
        ...(problem.hint !== undefined && { hint: shown(problem.hint) }),
      })),
    );
  error.message = shown(error.message);
  return error;
}
