/**
 * Reading a backup set from disk (layout: src/protocol/backup-manifest.ts): finding a backup by
 * its folder or its set's, its manifest, and the files that do not match it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InvalidInputError } from '../../shared/errors.js';
import { BLOBS_DIR, DUMP_FILE, MANIFEST_FILE, manifestSchema, type Manifest } from '../../protocol/backup-manifest.js';
import { checksumOf } from '../../shared/checksummed-files.js';

/** One backup found on disk: its folder, the set it belongs to, and its manifest. */
export interface FoundBackup {
  readonly dir: string;
  readonly setDir: string;
  readonly manifest: Manifest;
}

/**
 * The backup at `path`: a backup's folder, or a set whose newest finished backup is meant. Every
 * problem names the path and says what would be a backup.
 */
export function findBackup(path: string): FoundBackup {
  const given = resolve(path);
  const problem = (message: string, hint: string) => new InvalidInputError('backup', [{ input: given, message, hint }]);
  if (!existsSync(given) || !statSync(given).isDirectory())
    throw problem('is not a folder', 'pass the folder `gyre backup create --out` wrote to, or one backup inside it');
  let dir = given;
  if (!existsSync(join(given, MANIFEST_FILE))) {
    const finished = readdirSync(given)
      .filter((name) => name !== BLOBS_DIR && existsSync(join(given, name, MANIFEST_FILE)))
      .sort();
    const newest = finished.at(-1);
    if (newest === undefined)
      throw problem(
        `holds no ${MANIFEST_FILE}, and no folder in it does`,
        'pass a folder `gyre backup create --out` wrote to; a backup without a manifest did not finish',
      );
    dir = join(given, newest);
  }
  const manifest = readManifest(join(dir, MANIFEST_FILE));
  // Restores read the dump by its name: it must be one of the files the checksums cover.
  if (!manifest.files.some((file) => file.path === `${basename(dir)}/${DUMP_FILE}`))
    throw problem(
      `has a manifest that lists no ${basename(dir)}/${DUMP_FILE}`,
      'the backup is damaged or was not made by `gyre backup create`; use another one',
    );
  return { dir, setDir: dirname(dir), manifest };
}

function readManifest(path: string): Manifest {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InvalidInputError('backup', [
      {
        input: path,
        message: `is not readable JSON: ${(error as Error).message}`,
        hint: 'the backup is damaged; use another one',
      },
    ]);
  }
  const parsed = manifestSchema.safeParse(data);
  if (!parsed.success)
    throw new InvalidInputError(
      'backup',
      parsed.error.issues.map((issue) => ({
        input: `${path}: ${issue.path.join('.') || '(top level)'}`,
        message: issue.message,
        hint: `not a manifest this Gyre reads; was ${basename(dirname(path))} made by \`gyre backup create\`?`,
      })),
    );
  return parsed.data;
}

/**
 * Each file of the backup that is missing or differs from its manifest entry, named as in the
 * backup (`database.pgdump`, `blobs/ab/ab12…`).
 */
export async function fileProblems(backup: FoundBackup, onLine: (line: string) => void): Promise<string[]> {
  const { manifest, setDir, dir } = backup;
  const own = `${basename(dir)}/`;
  const problems: string[] = [];
  for (const [index, file] of manifest.files.entries()) {
    const path = join(setDir, file.path);
    const name = file.path.startsWith(own) ? file.path.slice(own.length) : file.path;
    if (!existsSync(path)) problems.push(`${name}: missing`);
    else {
      const sum = await checksumOf(path);
      if (sum.size !== file.size) problems.push(`${name}: ${sum.size} bytes, the manifest says ${file.size}`);
      else if (sum.sha256 !== file.sha256)
        problems.push(`${name}: SHA-256 ${sum.sha256}, the manifest says ${file.sha256}`);
    }
    if ((index + 1) % 100 === 0) onLine(`${index + 1}/${manifest.files.length} files checked`);
  }
  return problems;
}
