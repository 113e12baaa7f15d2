/**
 * A backup folder (`--out DIR`): one sub-folder per backup, named by its time, holding its
 * manifest, database dump and settings, and one `blobs/` folder that every backup in it shares,
 * each blob named by its SHA-256 so a later backup copies only blobs the folder lacks.
 *
 *   DIR/2026-12-07T09-30-00Z/manifest.json
 *   DIR/2026-12-07T09-30-00Z/database.pgdump
 *   DIR/2026-12-07T09-30-00Z/settings.env
 *   DIR/blobs/ab/ab12…
 *
 * A manifest is written last: a folder without one is a backup that did not finish.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { backupSnapshotSchema } from '../../protocol/backup-snapshot.js';
import { InvalidInputError } from '../../shared/errors.js';
import { checksumOf } from './checksummed-files.js';

export const MANIFEST_FILE = 'manifest.json';
export const DUMP_FILE = 'database.pgdump';
export const SETTINGS_FILE = 'settings.env';
export const BLOBS_DIR = 'blobs';

const fileEntry = z.object({
  /**
   * Relative to the set, and only what a backup writes: `<backup>/database.pgdump`,
   * `<backup>/settings.env` or `blobs/ab/ab12…`. Nothing else, so that a manifest cannot make a
   * restore read or write outside the set.
   */
  path: z
    .string()
    .regex(
      /^(?:\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z\/(?:database\.pgdump|settings\.env)|blobs\/([0-9a-f]{2})\/\1[0-9a-f]{62})$/,
      'is none of the files a backup holds (<backup>/database.pgdump, <backup>/settings.env, blobs/<2 hex>/<sha256>)',
    ),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ManifestFile = z.infer<typeof fileEntry>;

export const manifestSchema = z
  .object({
    format: z.literal(1),
    createdAt: z.iso.datetime(),
    /** The Gyre that made it, and the last migration its database had. */
    gyre: z.string(),
    schema: z.number().int().nonnegative(),
    postgres: z.string(),
    keyCheck: z.string(),
    database: backupSnapshotSchema.shape.database,
    blobStore: backupSnapshotSchema.shape.blobStore,
    /** Rows per table at the snapshot. */
    tables: z.record(z.string(), z.number().int().nonnegative()),
    files: z.array(fileEntry),
    /** Every file is encrypted with the set's passphrase (encryption.json beside it). */
    encrypted: z.boolean().optional(),
    /** With an S3 blob store: the digests the snapshot names, which stay in the bucket. */
    bucketBlobs: z.array(backupSnapshotSchema.shape.blobs.element).optional(),
  })
  .superRefine((manifest, ctx) => {
    // A plain blob's checksum is its name: a manifest that says otherwise would let a restore put
    // other bytes under a digest. (Encrypted blobs' checksums are of their encrypted bytes.)
    if (manifest.encrypted) return;
    for (const [index, file] of manifest.files.entries())
      if (file.path.startsWith(`${BLOBS_DIR}/`) && file.path.slice(-64) !== file.sha256)
        ctx.addIssue({
          code: 'custom',
          path: ['files', index, 'sha256'],
          message: `is not the digest its name ${file.path} says`,
        });
  });
export type Manifest = z.infer<typeof manifestSchema>;

/** One backup found on disk: its folder, the set it belongs to, and its manifest. */
export interface FoundBackup {
  readonly dir: string;
  readonly setDir: string;
  readonly manifest: Manifest;
}

/** A new backup's folder name: its UTC time, sortable, without colons. */
export function backupNameAt(time: Date): string {
  return `${time.toISOString().slice(0, 19).replaceAll(':', '-')}Z`;
}

export function blobPath(digest: string): string {
  return `${BLOBS_DIR}/${digest.slice(0, 2)}/${digest}`;
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
