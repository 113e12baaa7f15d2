import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { pack } from 'tar-stream';
import { planArchiveBackup } from '../../../../src/orchestrator/backup/archive-backup.js';
import { packSet } from '../../../../src/orchestrator/backup/backup-archive.js';
import { fileProblems, findBackup } from '../../../../src/orchestrator/backup/backup-set.js';
import { backupSource } from '../../../../src/orchestrator/backup/backup-source.js';
import type { Manifest } from '../../../../src/protocol/backup-manifest.js';
import type { Task } from '../../../../src/orchestrator/tasks.js';
import { InvalidInputError } from '../../../../src/shared/errors.js';

const BACKUP = '2026-12-07T09-30-00Z';

const readBackup = (path: string): Task => ({
  title: 'Read the backup',
  run: () => Promise.resolve(`${findBackup(path).dir}: read`),
});

/** A tar holding only a backup's folder, with no manifest: one that did not finish. */
async function unfinishedArchive(): Promise<string> {
  const tar = pack();
  tar.entry({ name: `${BACKUP}/`, type: 'directory' });
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of tar) chunks.push(chunk as Buffer);
  const path = join(mkdtempSync(join(tmpdir(), 'gyre-archive-')), 'backup.tar');
  writeFileSync(path, Buffer.concat(chunks));
  return path;
}

/** A set folder with one finished backup, whose manifest lists its files. */
function finishedSet(): string {
  const set = mkdtempSync(join(tmpdir(), 'gyre-set-'));
  mkdirSync(join(set, BACKUP));
  const files = Object.entries({ 'database.pgdump': 'dump', 'settings.env': 'GYRE_DOMAIN=ci.example.com\n' }).map(
    ([name, text]) => {
      writeFileSync(join(set, BACKUP, name), text);
      return { path: `${BACKUP}/${name}`, size: text.length, sha256: createHash('sha256').update(text).digest('hex') };
    },
  );
  const manifest: Manifest = {
    format: 1,
    createdAt: '2026-12-07T09:30:00.000Z',
    gyre: '0.1.0',
    schema: 28,
    postgres: '15.18',
    keyCheck: 'c2VhbGVk',
    database: { user: 'gyre', name: 'gyre' },
    blobStore: { kind: 'file', root: '/var/lib/gyre/blobs' },
    tables: { projects: 1 },
    files,
  };
  writeFileSync(join(set, BACKUP, 'manifest.json'), JSON.stringify(manifest));
  return set;
}

describe('the backup verify and restore are given', () => {
  it('is a folder read where it is', async () => {
    const set = mkdtempSync(join(tmpdir(), 'gyre-set-'));
    const source = backupSource(set);
    expect(source.path).toBe(set);
    const read = readBackup(source.path);
    expect(source.tasks([read])[0]).toBe(read);
    await source.close();
    expect(existsSync(set)).toBe(true);
  });

  it('is an archive read as the set it was packed from, and named as the archive', async () => {
    const archive = join(mkdtempSync(join(tmpdir(), 'gyre-archive-')), 'backup.tar');
    await packSet(finishedSet(), archive);
    const source = backupSource(archive);
    const [unpack, read] = source.tasks([readBackup(source.path)]);
    await unpack!.run(() => undefined);
    expect(await read!.run(() => undefined)).toBe(`${archive}/${BACKUP}: read`);
    const found = findBackup(source.path);
    expect(await fileProblems(found, () => undefined)).toEqual([]);
    expect(source.name(found)).toBe(archive);
    await source.close();
  });

  it('is an archive unpacked into a private folder, which failures name as the archive and close removes', async () => {
    const archive = await unfinishedArchive();
    const source = backupSource(archive);
    const [unpack, read] = source.tasks([readBackup(source.path)]);
    expect(unpack!.title).toBe(`Unpack ${archive} into a private folder`);
    expect(await unpack!.run(() => undefined)).toBe('0 files, 0 bytes');
    expect(statSync(source.path).mode & 0o777).toBe(0o700);
    const error = await read!.run(() => undefined).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).problems[0]!.input).toBe(archive);
    expect((error as Error).message).not.toContain(source.path);
    await source.close();
    expect(existsSync(source.path)).toBe(false);
    await source.close();
  });
});

describe('a backup into one file', () => {
  const plan = (out: string) => planArchiveBackup({ out, settingsText: '' });

  it('is made in a private folder beside the file, which close removes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gyre-out-'));
    const backup = plan(join(dir, 'backup.tar'));
    expect(backup.tasks.at(-1)!.title).toBe(`Pack the backup into ${join(dir, 'backup.tar')}`);
    await backup.tasks[0]!.run(() => undefined);
    const [folder, ...others] = readdirSync(dir);
    expect(others).toEqual([]);
    expect(folder).toMatch(/^backup\.tar\.[0-9a-f-]{36}\.d$/);
    expect(statSync(join(dir, folder!)).mode & 0o777).toBe(0o700);
    await backup.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a file that is there before the backup is taken, naming --out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gyre-out-'));
    writeFileSync(join(dir, 'backup.tar'), 'an earlier backup');
    const backup = plan(join(dir, 'backup.tar'));
    await expect(backup.tasks[0]!.run(() => undefined)).rejects.toThrow(
      `--out: ${join(dir, 'backup.tar')} exists already`,
    );
    await backup.close();
    expect(readdirSync(dir)).toEqual(['backup.tar']);
  });
});
