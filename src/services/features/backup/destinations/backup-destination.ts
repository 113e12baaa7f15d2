/**
 * Where scheduled backups are written (GYRE_BACKUP_DESTINATION): a backup set (layout:
 * src/protocol/backup-manifest.ts) on the data volume or under an S3 prefix. Paths are relative
 * to the set, as the manifest lists them.
 */
import type { Readable } from 'node:stream';
import type { Checksum } from '../../../../shared/checksummed-files.js';

export interface BackupDestination {
  /** Where it is, as the admin console shows it and the `backups` table records it. */
  readonly description: string;
  /** Writes a file, complete or not at all; resolves to what was written. */
  write(path: string, body: Readable): Promise<Checksum>;
  read(path: string): Promise<Readable>;
  /** Whether the set holds the blob `digest` with `size` bytes. */
  hasBlob(digest: string, size: number): Promise<boolean>;
  /**
   * Adds a blob of the file blob store, whose file is at `source`; resolves to what the set
   * holds now (checked again: the caller compares it with the digest).
   */
  addBlob(digest: string, source: string): Promise<Checksum>;
  /** The backups in the set, finished (with a manifest) or not. */
  backups(): Promise<{ readonly name: string; readonly finished: boolean }[]>;
  /** Removes a backup's own files (not the blobs it names). */
  remove(name: string): Promise<void>;
  /** The digests of the blobs in the set. */
  blobs(): Promise<string[]>;
  removeBlob(digest: string): Promise<void>;
}

/** A backup's folder name: its UTC time, as `backupNameAt` writes it. */
export const BACKUP_NAME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z$/;
