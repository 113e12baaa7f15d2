import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { pack, type Header } from 'tar-stream';
import { packSet, unpackArchive } from '../../../../src/orchestrator/backup/backup-archive.js';
import { InvalidInputError } from '../../../../src/shared/errors.js';

const BACKUP = '2026-12-07T09-30-00Z';
const AB = 'ab'.repeat(32);
const CD = 'cd'.repeat(32);

/** A set folder with one backup as `gyre backup create` writes it, encrypted or not alike. */
function setFolder(): string {
  const set = mkdtempSync(join(tmpdir(), 'gyre-set-'));
  const files: Record<string, Buffer | string> = {
    [`${BACKUP}/manifest.json`]: '{"format": 1}\n',
    // Larger than a read stream's chunks, so a file passes in several.
    [`${BACKUP}/database.pgdump`]: randomBytes(300_000),
    [`${BACKUP}/settings.env`]: 'GYRE_DOMAIN=ci.example.com\n',
    [`blobs/ab/${AB}`]: randomBytes(1_000),
    [`blobs/cd/${CD}`]: '',
    'encryption.json': '{"format": 1}\n',
  };
  for (const [name, bytes] of Object.entries(files)) {
    mkdirSync(join(set, name, '..'), { recursive: true });
    writeFileSync(join(set, name), bytes);
  }
  return set;
}

/** Every file and folder under `dir`: a folder as `null`, a file as its bytes. */
function tree(dir: string): Record<string, Buffer | null> {
  const entries = readdirSync(dir, { recursive: true, withFileTypes: true }).map((entry) => {
    const path = join(entry.parentPath, entry.name);
    return [path.slice(dir.length + 1), entry.isDirectory() ? null : readFileSync(path)] as const;
  });
  return Object.fromEntries(entries);
}

type Entry = Pick<Header, 'name'> & Partial<Header> & { readonly body?: Buffer | string };

/** A tar of `entries` made with tar-stream, as a file in a new folder of its own. */
async function tarFile(entries: readonly Entry[]): Promise<string> {
  const tar = pack();
  for (const { body, ...header } of entries) tar.entry(header, body ?? '');
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of tar) chunks.push(chunk as Buffer);
  return fileOf(Buffer.concat(chunks));
}

function fileOf(bytes: Buffer): string {
  const path = join(mkdtempSync(join(tmpdir(), 'gyre-archive-')), 'backup.tar');
  writeFileSync(path, bytes);
  return path;
}

/** A new, empty folder to unpack into, alone in a folder of its own. */
function emptyFolder(): string {
  const into = join(mkdtempSync(join(tmpdir(), 'gyre-unpacked-')), 'set');
  mkdirSync(into);
  return into;
}

async function refusal(archive: string, into = emptyFolder()): Promise<string> {
  const error = await unpackArchive(archive, into).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(InvalidInputError);
  return (error as Error).message;
}

describe('a backup set as one tar file', () => {
  it('packs a set folder and unpacks it byte for byte, file and folder alike, for its owner only', async () => {
    const set = setFolder();
    const archive = join(mkdtempSync(join(tmpdir(), 'gyre-archive-')), 'backup.tar');
    const lines: string[] = [];
    expect(await packSet(set, archive, (line) => lines.push(line))).toEqual({ files: 6, bytes: 301_055 });
    expect(statSync(archive).mode & 0o777).toBe(0o600);
    // Only the archive: its partial file is gone.
    expect(readdirSync(join(archive, '..'))).toEqual(['backup.tar']);

    const into = emptyFolder();
    expect(await unpackArchive(archive, into)).toEqual({ files: 6, bytes: 301_055 });
    expect(tree(into)).toEqual(tree(set));
    expect(statSync(join(into, BACKUP, 'database.pgdump')).mode & 0o777).toBe(0o600);
    expect(statSync(join(into, 'blobs', 'ab')).mode & 0o777).toBe(0o700);
    expect(lines).toEqual([]);
  });

  it('never packs over a file that is there, and leaves it as it was', async () => {
    const archive = fileOf(Buffer.from('an earlier backup'));
    await expect(packSet(setFolder(), archive)).rejects.toThrow(
      new InvalidInputError('gyre backup create', [
        {
          input: '--out',
          message: `${archive} exists already`,
          hint: 'name a new file: a backup file is never written over',
        },
      ]),
    );
    expect(readFileSync(archive, 'utf8')).toBe('an earlier backup');
    expect(readdirSync(join(archive, '..'))).toEqual(['backup.tar']);
  });

  it('reads a set packed by hand with `tar -C SET -cf FILE.tar .`', async () => {
    const archive = await tarFile([
      { name: './', type: 'directory' },
      { name: './blobs/', type: 'directory' },
      { name: './blobs/ab/', type: 'directory' },
      { name: `./blobs/ab/${AB}`, body: 'blob' },
      { name: `./${BACKUP}/`, type: 'directory' },
      { name: `./${BACKUP}/manifest.json`, body: '{}' },
    ]);
    const into = emptyFolder();
    await unpackArchive(archive, into);
    expect(tree(into)).toEqual({
      blobs: null,
      'blobs/ab': null,
      [`blobs/ab/${AB}`]: Buffer.from('blob'),
      [BACKUP]: null,
      [`${BACKUP}/manifest.json`]: Buffer.from('{}'),
    });
  });

  it.each<[string, Entry, string]>([
    ['a name that leads out', { name: '../x', body: 'x' }, 'leads out of the set (..)'],
    ['a name that leads out from inside', { name: `blobs/ab/../../../x`, body: 'x' }, 'leads out of the set (..)'],
    ['an absolute name', { name: '/tmp/x', body: 'x' }, 'is an absolute path'],
    ['a symbolic link', { name: 'blobs', type: 'symlink', linkname: '/etc' }, 'is a symbolic link'],
    ['a hard link', { name: `${BACKUP}/settings.env`, type: 'link', linkname: '/etc/passwd' }, 'is a hard link'],
    ['a device', { name: 'blobs', type: 'character-device' }, 'is a character-device entry'],
    [
      'a file outside the layout',
      { name: `${BACKUP}/notes.txt`, body: 'x' },
      'is none of the files a backup holds (<backup>/manifest.json, ',
    ],
    ['a blob under another folder', { name: `blobs/cd/${AB}`, body: 'x' }, 'is none of the files a backup holds'],
    ['a folder outside the layout', { name: 'etc/', type: 'directory' }, 'is none of the folders a backup holds'],
  ])('refuses %s, naming the archive and the entry', async (_what, entry, message) => {
    const archive = await tarFile([{ name: 'blobs/', type: 'directory' }, entry]);
    const into = emptyFolder();
    const refused = await refusal(archive, into);
    expect(refused).toContain(`${archive}: entry ${JSON.stringify(entry.name)}: ${message}`);
    expect(refused).toContain('fix: pass a file that `gyre backup create --out FILE.tar` wrote');
    // Nothing beside the folder it unpacks into, nor in it but what came before.
    expect(readdirSync(join(into, '..'))).toEqual(['set']);
    expect(readdirSync(into)).toEqual(['blobs']);
  });

  it('refuses a file that appears twice', async () => {
    const name = `${BACKUP}/manifest.json`;
    const archive = await tarFile([
      { name, body: '{}' },
      { name, body: '{"other": true}' },
    ]);
    expect(await refusal(archive)).toContain(`entry ${JSON.stringify(name)}: appears twice`);
  });

  it('refuses what is no tar, or one cut short, or no file at all, naming the file', async () => {
    const garbage = fileOf(Buffer.from('this is not a tar file\n'.repeat(100)));
    const refused = await refusal(garbage);
    expect(refused).toContain(`${garbage}: cannot be read as a tar file (Invalid tar header`);
    expect(refused).toContain('one compressed since (gzip, zstd) must be uncompressed first');

    const whole = readFileSync(await tarFile([{ name: `${BACKUP}/database.pgdump`, body: randomBytes(2_000) }]));
    // Cut in the dump's bytes: after its header block and half of them.
    const cut = fileOf(whole.subarray(0, 512 + 1_000));
    expect(await refusal(cut)).toContain(`${cut}: cannot be read as a tar file (Unexpected end of data)`);

    const folder = emptyFolder();
    expect(await refusal(folder)).toContain(`${folder}: is not a file; a backup archive is a .tar file`);
    expect(await refusal(join(folder, 'missing.tar'))).toContain('missing.tar: is not a file');
  });

  it('says how far it has got every hundred files', async () => {
    const blobs = Array.from({ length: 250 }, (_, index) => {
      const digest = index.toString(16).padStart(64, '0');
      return { name: `blobs/${digest.slice(0, 2)}/${digest}`, body: 'x' };
    });
    const lines: string[] = [];
    await unpackArchive(await tarFile(blobs), emptyFolder(), (line) => lines.push(line));
    expect(lines).toEqual(['100 files, 100 bytes', '200 files, 200 bytes']);
  });
});
