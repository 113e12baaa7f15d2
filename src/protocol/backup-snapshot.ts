/**
 * What `gyre backup snapshot`, run in the app container, tells the orchestrator making a backup:
 * one JSON line, printed once its snapshot is open. The snapshot stays open until the command's
 * stdin ends, so `pg_dump --snapshot` and the blob copy see the same moment.
 */
import { z } from 'zod';

/** The text a backup's key check seals with the installation key. */
export const KEY_CHECK_TEXT = 'gyre installation key check';

const digest = z.string().regex(/^[0-9a-f]{64}$/);

export const backupSnapshotSchema = z.object({
  gyre: z.string().min(1),
  /** `pg_export_snapshot()`'s id. */
  snapshot: z.string().regex(/^[0-9A-F]+-[0-9A-F]+-\d+$/),
  /** The last migration applied. */
  schema: z.number().int().nonnegative(),
  postgres: z.string().min(1),
  tables: z.record(z.string(), z.number().int().nonnegative()),
  blobs: z.array(z.object({ digest, size: z.number().int().nonnegative() })),
  /** KEY_CHECK_TEXT sealed with the installation key, base64. */
  keyCheck: z.string().min(1),
  /** The database as `pg_dump` in the database container logs into it (over its local socket). */
  database: z.object({ user: z.string().min(1), name: z.string().min(1) }),
  blobStore: z.discriminatedUnion('kind', [
    /** Blobs at `<root>/<2 hex>/<digest>` in the app container. */
    z.object({ kind: z.literal('file'), root: z.string().min(1) }),
    z.object({ kind: z.literal('s3'), bucket: z.string().min(1), prefix: z.string(), endpoint: z.string().optional() }),
  ]),
});

export type BackupSnapshotAnnouncement = z.infer<typeof backupSnapshotSchema>;
