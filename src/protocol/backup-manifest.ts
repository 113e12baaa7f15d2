/**
 * The layout and manifest of a backup set, as `gyre backup create` and the services box's
 * scheduled backups both write it and `verify` and `restore` read it: one sub-folder per backup,
 * named by its time, holding its manifest, database dump and settings, and one `blobs/` folder
 * that every backup in the set shares, each blob named by its SHA-256 so that a later backup adds
 * only blobs the set lacks.
 *
 *   SET/2026-12-07T09-30-00Z/manifest.json
 *   SET/2026-12-07T09-30-00Z/database.pgdump
 *   SET/2026-12-07T09-30-00Z/settings.env
 *   SET/blobs/ab/ab12…
 *
 * A manifest is written last: a folder without one is a backup that did not finish.
 */
import { z } from 'zod';
import { backupSnapshotSchema, type BackupSnapshotAnnouncement } from './backup-snapshot.js';

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

/** A new backup's folder name: its UTC time, sortable, without colons. */
export function backupNameAt(time: Date): string {
  return `${time.toISOString().slice(0, 19).replaceAll(':', '-')}Z`;
}

export function blobPath(digest: string): string {
  return `${BLOBS_DIR}/${digest.slice(0, 2)}/${digest}`;
}

/**
 * The manifest of a backup of `snapshot` made at `createdAt`: `files` are its dump, its settings
 * and the blobs it holds, in that order; an S3 store's blobs are listed as staying in the bucket.
 */
export function manifestOf(
  snapshot: BackupSnapshotAnnouncement,
  createdAt: Date,
  files: ManifestFile[],
  encrypted: boolean,
): Manifest {
  return {
    format: 1,
    createdAt: createdAt.toISOString(),
    gyre: snapshot.gyre,
    schema: snapshot.schema,
    postgres: snapshot.postgres,
    keyCheck: snapshot.keyCheck,
    database: snapshot.database,
    blobStore: snapshot.blobStore,
    tables: snapshot.tables,
    files,
    ...(snapshot.blobStore.kind === 's3' && { bucketBlobs: snapshot.blobs }),
    ...(encrypted && { encrypted: true }),
  };
}
