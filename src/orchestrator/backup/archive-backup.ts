/**
 * `gyre backup create --out FILE.tar`: one backup as one file. The backup is made as into a new
 * set folder, a private one beside the file (so on its filesystem, with its room), then packed
 * into the file, and the folder removed. Nothing is copied incrementally: each file is whole.
 */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { formatRoundedByteSize } from '../../shared/byte-size.js';
import type { Task } from '../tasks.js';
import { archiveFolder } from './archive-folder.js';
import { packSet, refuseExisting } from './backup-archive.js';
import { planBackup, type BackupOptions, type BackupPlan } from './create-backup.js';

/** The plan of {@link planBackup}, written as the archive `options.out` names; its result names the archive. */
export function planArchiveBackup(options: BackupOptions): BackupPlan {
  const archive = resolve(options.out);
  const folder = archiveFolder(archive, dirname(archive));
  const backup = planBackup({ ...options, out: folder.dir });
  const prepare: Task = {
    title: `Check that ${archive} is new, and make a private folder beside it`,
    run: () => {
      // Before the backup, which would otherwise be made for nothing.
      refuseExisting(archive);
      folder.make();
      return Promise.resolve('the backup is made in a private folder, then packed into one file');
    },
  };
  const packing: Task = {
    title: `Pack the backup into ${archive}`,
    run: async (onLine) => {
      const { files } = await packSet(folder.dir, archive, onLine);
      return `${archive}: ${files} files, ${formatRoundedByteSize(statSync(archive).size)}`;
    },
  };
  return {
    tasks: [prepare, ...backup.tasks, packing].map(folder.naming),
    result: () => ({ ...backup.result(), backup: archive }),
    close: async () => {
      try {
        await backup.close();
      } finally {
        await folder.remove();
      }
    },
  };
}
