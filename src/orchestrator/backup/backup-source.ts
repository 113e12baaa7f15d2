/**
 * The backup `verify` and `restore` are given: a folder, read where it is, or a backup archive
 * (`FILE.tar`), unpacked into a private folder under the system's temporary folder ($TMPDIR) first
 * and removed afterwards.
 */
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { formatRoundedByteSize } from '../../shared/byte-size.js';
import type { Task } from '../tasks.js';
import { archiveFolder } from './archive-folder.js';
import { isBackupArchive, unpackArchive } from './backup-archive.js';
import type { FoundBackup } from './backup-set.js';

export interface BackupSource {
  /** Where to find the backup (as `findBackup` takes it) once the tasks have begun. */
  readonly path: string;
  /** A command's tasks, led by the unpacking of an archive, which they then name for its folder. */
  tasks(tasks: readonly Task[]): Task[];
  /** The backup as the user and the state folder know it: the archive, or the backup's folder. */
  name(found: FoundBackup): string;
  /** Removes an archive's folder; safe to call twice. */
  readonly close: () => Promise<void>;
}

export function backupSource(path: string): BackupSource {
  if (!isBackupArchive(path))
    return { path, tasks: (tasks) => [...tasks], name: (found) => found.dir, close: () => Promise.resolve() };
  const folder = archiveFolder(resolve(path), tmpdir());
  const unpack: Task = {
    title: `Unpack ${folder.archive} into a private folder`,
    run: async (onLine) => {
      folder.make();
      const { files, bytes } = await unpackArchive(folder.archive, folder.dir, onLine);
      return `${files} files, ${formatRoundedByteSize(bytes)}`;
    },
  };
  return {
    path: folder.dir,
    tasks: (tasks) => [unpack, ...tasks].map(folder.naming),
    name: () => folder.archive,
    close: folder.remove,
  };
}
