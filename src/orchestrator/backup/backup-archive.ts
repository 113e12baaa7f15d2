/**
 * A backup set as one tar file (`gyre backup create --out FILE.tar`): exactly the files and
 * folders of a set folder (src/protocol/backup-manifest.ts), packed from a finished one and
 * unpacked into one before anything reads them. An archive is input from anywhere, so unpacking
 * takes only what a set holds: files and folders of its layout, nothing that leads elsewhere.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join, posix, relative } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack, type Header, type Pack } from 'tar-stream';
import { BLOBS_DIR, DUMP_FILE, MANIFEST_FILE, manifestSchema, SETTINGS_FILE } from '../../protocol/backup-manifest.js';
import { formatRoundedByteSize } from '../../shared/byte-size.js';
import { InvalidInputError, internal, messageOf } from '../../shared/errors.js';
import { eachEntry, nodeStream } from '../../shared/tar-streams.js';
import { ENCRYPTION_FILE } from './passphrase-encryption.js';

/** A progress line every this many files. */
const PROGRESS_FILES = 100;
/** The names a manifest may list: the layout's files, by the manifest's own rule. */
const listedPath = manifestSchema.shape.files.element.shape.path;
const HINT = 'pass a file that `gyre backup create --out FILE.tar` wrote, as it wrote it';

/** Whether `path` names a backup archive rather than a set folder. */
export function isBackupArchive(path: string): boolean {
  return path.endsWith('.tar');
}

/** What was packed or unpacked: files and their bytes. */
export interface ArchiveCount {
  readonly files: number;
  readonly bytes: number;
}

/**
 * Packs the set folder `setDir` into the new file `archive`: written under a name of its own and
 * renamed once complete, so no partial file ever has the archive's name, and never over a file.
 */
export async function packSet(
  setDir: string,
  archive: string,
  onLine: (line: string) => void = () => undefined,
): Promise<ArchiveCount> {
  refuseExisting(archive);
  const entries = readdirSync(setDir, { recursive: true, withFileTypes: true })
    .map((entry) => ({ entry, name: relative(setDir, join(entry.parentPath, entry.name)) }))
    // By code unit, so that a folder comes before what it holds.
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const count = counting(onLine);
  const tar = pack();
  const produce = async () => {
    try {
      for (const { entry, name } of entries) {
        const path = join(setDir, name);
        const type = entry.isDirectory() ? 'directory' : 'file';
        // What is packed must unpack: the set folder is this Gyre's own, so anything else is a bug.
        const problem = entry.isDirectory() || entry.isFile() ? entryProblem(type, name) : 'is no file or folder';
        if (problem !== undefined) internal(`${path} ${problem}`);
        const { size, mtime } = statSync(path);
        if (type === 'directory') tar.entry({ name, type, mode: 0o700, mtime });
        else {
          await addFile(tar, path, { name, size, mode: 0o600, mtime });
          count.add(size);
        }
      }
      tar.finalize();
    } catch (error) {
      tar.destroy(error as Error);
      throw error;
    }
  };
  const partial = `${archive}.${randomUUID()}.partial`;
  const written = pipeline(nodeStream(tar), createWriteStream(partial, { flags: 'wx', flush: true, mode: 0o600 }));
  // A failed write ends the packing, which would otherwise wait for a reader that is gone.
  written.catch((error: unknown) => tar.destroy(error as Error));
  try {
    await Promise.all([produce(), written]);
    refuseExisting(archive);
    await rename(partial, archive);
    return count.total;
  } finally {
    await rm(partial, { force: true });
  }
}

/** Refuses to write a backup archive over a file (or folder) that is there. */
export function refuseExisting(archive: string): void {
  if (existsSync(archive))
    throw new InvalidInputError('gyre backup create', [
      {
        input: '--out',
        message: `${archive} exists already`,
        hint: 'name a new file: a backup file is never written over',
      },
    ]);
}

/**
 * Unpacks the backup archive `archive` into the (empty) folder `into`, files for this user only.
 * Any entry that is not a file or folder of the set layout ends it; so does a file that is no
 * tar, or one cut short in an entry.
 */
export async function unpackArchive(
  archive: string,
  into: string,
  onLine: (line: string) => void = () => undefined,
): Promise<ArchiveCount> {
  const problem = (input: string, message: string, hint = HINT) =>
    new InvalidInputError('backup', [{ input, message, hint }]);
  if (statSync(archive, { throwIfNoEntry: false })?.isFile() !== true)
    throw problem(archive, 'is not a file; a backup archive is a .tar file');
  const count = counting(onLine);
  const files = new Set<string>();
  /** A failure of this code rather than of the archive's bytes, which is told as it is. */
  let own: unknown;
  try {
    await eachEntry(createReadStream(archive), async (header, body) => {
      try {
        // `tar -C SET -cf FILE.tar .` names the set's own folder `./`, and every entry under it so.
        const name = header.name.replace(/^\.\//, '').replace(/(?<=.)\/$/, '');
        if (name === '' && header.type === 'directory') return;
        // JSON quotes the name: it may hold anything, control characters too.
        const input = `${archive}: entry ${JSON.stringify(header.name)}`;
        const wrong = files.has(name)
          ? 'appears twice; a backup file holds each file once'
          : entryProblem(header.type, name);
        if (wrong !== undefined) throw problem(input, wrong);
        const path = join(into, name);
        if (header.type === 'directory') await mkdir(path, { recursive: true, mode: 0o700 });
        else {
          files.add(name);
          await mkdir(dirname(path), { recursive: true, mode: 0o700 });
          await pipeline(Readable.from(body), createWriteStream(path, { flags: 'wx', mode: 0o600 }));
          count.add(header.size);
        }
      } catch (error) {
        own = error;
        throw error;
      }
    });
  } catch (error) {
    if (error === own) throw error;
    // tar-stream's own words: "Invalid tar header…" for what is no tar, "Unexpected end of data" for a cut.
    throw problem(
      archive,
      `cannot be read as a tar file (${messageOf(error)})`,
      `${HINT}, whole; one compressed since (gzip, zstd) must be uncompressed first`,
    );
  }
  return count.total;
}

const KINDS: Partial<Record<Header['type'], string>> = { symlink: 'a symbolic link', link: 'a hard link' };

/** What is wrong with an entry of a backup archive, by its type and its name (without `./`). */
function entryProblem(type: Header['type'], name: string): string | undefined {
  if (type !== 'file' && type !== 'directory')
    return `is ${KINDS[type] ?? `a ${type} entry`}; a backup file holds only files and folders`;
  if (name.startsWith('/')) return 'is an absolute path; every name in a backup file is relative to the set';
  if (name.split('/').includes('..')) return 'leads out of the set (..)';
  if (type === 'file' && !isSetFile(name))
    return `is none of the files a backup holds (<backup>/${MANIFEST_FILE}, <backup>/${DUMP_FILE}, <backup>/${SETTINGS_FILE}, ${BLOBS_DIR}/<2 hex>/<sha256>, ${ENCRYPTION_FILE})`;
  if (type === 'directory' && !isSetFolder(name))
    return `is none of the folders a backup holds (<backup>, ${BLOBS_DIR}, ${BLOBS_DIR}/<2 hex>)`;
  return undefined;
}

/** A file of the layout: one a manifest may list, a backup's manifest, or the set's encryption record. */
function isSetFile(name: string): boolean {
  if (name === ENCRYPTION_FILE) return true;
  // A backup's manifest sits beside its dump, which its manifest lists.
  const listed = posix.basename(name) === MANIFEST_FILE ? posix.join(posix.dirname(name), DUMP_FILE) : name;
  return listedPath.safeParse(listed).success;
}

/**
 * A folder of the layout: one a file of it is in, a backup's, `blobs` or `blobs/ab` (whose
 * blobs' names start with `ab`).
 */
function isSetFolder(name: string): boolean {
  return (
    name === BLOBS_DIR || [DUMP_FILE, posix.basename(name).repeat(32)].some((file) => isSetFile(`${name}/${file}`))
  );
}

/** Adds a file's bytes to `tar`; resolves once they are packed. */
function addFile(tar: Pack, path: string, header: Parameters<Pack['entry']>[0]): Promise<void> {
  return new Promise((resolve, reject) => {
    const entry = tar.entry(header, (error) => (error ? reject(error) : resolve()));
    createReadStream(path)
      .on('error', (error) => entry.destroy(error))
      .pipe(entry);
  });
}

/** Counts files and their bytes, and says so every {@link PROGRESS_FILES} files. */
function counting(onLine: (line: string) => void): { add(bytes: number): void; readonly total: ArchiveCount } {
  const total = { files: 0, bytes: 0 };
  return {
    total,
    add: (bytes) => {
      total.files += 1;
      total.bytes += bytes;
      if (total.files % PROGRESS_FILES === 0) onLine(`${total.files} files, ${formatRoundedByteSize(total.bytes)}`);
    },
  };
}
