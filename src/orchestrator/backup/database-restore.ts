/**
 * A backup's dump into a PostgreSQL container, and the row counts read back, by `docker exec`
 * and the archive API: the same for a scratch database on this machine and an install's database
 * on a remote host.
 */
import { createReadStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { basename, join } from 'node:path';
import { pack } from 'tar-stream';
import type { ContainerClient } from '../../docker/index.js';
import { nodeStream } from '../../shared/tar-streams.js';
import { DUMP_FILE } from '../../protocol/backup-manifest.js';
import type { FoundBackup } from './backup-set.js';
import { decrypting, plainSize, type SetKey } from './passphrase-encryption.js';

/** Where the dump is put in the database container while pg_restore reads it. */
const DUMP_IN_CONTAINER = '/tmp/gyre-restore.pgdump';

export interface DatabaseLogin {
  readonly user: string;
  readonly name: string;
}

/** Restores a custom-format dump into the (empty) database; fails with pg_restore's own words. */
export async function restoreDump(
  containers: ContainerClient,
  container: string,
  dump: { readonly body: Readable; readonly size: number },
  login: DatabaseLogin,
): Promise<void> {
  const tar = pack();
  const entry = tar.entry({ name: DUMP_IN_CONTAINER.slice(1), size: dump.size, mode: 0o600 }, (error) =>
    error ? tar.destroy(error) : tar.finalize(),
  );
  dump.body.on('error', (error) => tar.destroy(error)).pipe(entry);
  await containers.putArchive(container, '/', nodeStream(tar));
  try {
    // Owners and grants are the installation's own roles, which a scratch database need not have.
    await containers.execText(container, [
      'pg_restore',
      '--exit-on-error',
      '--no-owner',
      '--no-privileges',
      '--username',
      login.user,
      '--dbname',
      login.name,
      DUMP_IN_CONTAINER,
    ]);
  } finally {
    await containers.execText(container, ['rm', '-f', DUMP_IN_CONTAINER]);
  }
}

/** Each table's rows; a table the database lacks is absent from the answer. */
export async function rowCounts(
  containers: ContainerClient,
  container: string,
  login: DatabaseLogin,
  tables: readonly string[],
): Promise<Record<string, number>> {
  const present = new Set(
    (await psql(containers, container, login, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
      .split('\n')
      .filter((line) => line !== ''),
  );
  const counted = tables.filter((table) => present.has(table));
  if (counted.length === 0) return {};
  const query = counted
    .map((table) => `SELECT '${table.replaceAll("'", "''")}', count(*) FROM public."${table.replaceAll('"', '""')}"`)
    .join(' UNION ALL ');
  const counts: Record<string, number> = {};
  for (const line of (await psql(containers, container, login, query)).split('\n')) {
    const bar = line.lastIndexOf('|');
    if (bar > 0) counts[line.slice(0, bar)] = Number(line.slice(bar + 1));
  }
  return counts;
}

/** Runs one statement with psql over the container's local socket; resolves to its unaligned rows. */
export function psql(
  containers: ContainerClient,
  container: string,
  login: DatabaseLogin,
  sql: string,
): Promise<string> {
  return containers.execText(container, [
    'psql',
    '--no-psqlrc',
    '--tuples-only',
    '--no-align',
    '--set',
    'ON_ERROR_STOP=1',
    '--username',
    login.user,
    '--dbname',
    login.name,
    '--command',
    sql,
  ]);
}

/**
 * Restores a backup's own dump, decrypted on its way into the container when the backup is
 * encrypted (never as a plain file on this machine).
 */
export async function restoreBackupDump(
  containers: ContainerClient,
  container: string,
  backup: FoundBackup,
  key: SetKey | undefined,
): Promise<void> {
  const path = join(backup.dir, DUMP_FILE);
  const size = statSync(path).size;
  if (backup.manifest.encrypted && !key) throw new Error('internal: an encrypted dump without its key');
  const file = createReadStream(path);
  const body = key ? file.pipe(decrypting(key, `${basename(backup.dir)}/${DUMP_FILE}`)) : file;
  file.on('error', (error) => body.destroy(error));
  await restoreDump(containers, container, { body, size: key ? plainSize(size) : size }, backup.manifest.database);
}
