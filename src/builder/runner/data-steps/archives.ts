/**
 * Tar streams of the primary container's files, as the engine's archive API gives and takes them,
 * renamed on the way so an archive holds exactly the paths a step means. Everything is a stream:
 * a 2 GB artifact never sits in the builder's memory.
 */
import { posix } from 'node:path';
import { PassThrough, pipeline, type Readable } from 'node:stream';
import { createZstdCompress, createZstdDecompress } from 'node:zlib';
import { extract, pack, type Header, type Pack } from 'tar-stream';
import { statusCodeOf, type JobBackend } from '../../../docker/index.js';
import type { ContainerOwner } from './container-paths.js';

/** One path to take from the container, and the name it has in the archive (no leading `/`). */
export interface ArchiveSource {
  /** Absolute path in the container. */
  readonly path: string;
  /** Its name in the archive: `home/u/.npm` for a cache, `dist` under a workspace root. */
  readonly name: string;
  /** Keeps only the entries (named as in the archive) this answers true for. @default every entry */
  readonly keep?: (name: string) => boolean;
}

/** A path that did not exist in the container. */
export interface MissingPath {
  readonly path: string;
}

/**
 * One zstd-compressed tar of every source, in order. `onMissing` hears of each source that does
 * not exist (the archive goes on without it); any other failure ends the stream with it.
 */
export function packSources(
  backend: JobBackend,
  container: string,
  sources: readonly ArchiveSource[],
  onMissing: (missing: MissingPath) => void,
): Readable {
  const out = pack();
  void (async () => {
    for (const source of sources) {
      let tar: Readable;
      try {
        tar = await backend.getArchive(container, source.path);
      } catch (error) {
        if (statusCodeOf(error) !== 404) throw error;
        onMissing({ path: source.path });
        continue;
      }
      const from = posix.basename(source.path);
      await copyEntries(tar, out, (name) => {
        const renamed = rename(name, from, source.name);
        return renamed !== undefined && (source.keep?.(renamed) ?? true) ? renamed : undefined;
      });
    }
    out.finalize();
  })().catch((error: unknown) => out.destroy(error as Error));
  return compressed(nodeStream(out));
}

/**
 * Unpacks a zstd-compressed tar whose names are relative to `at` (absolute) into the container,
 * every entry owned by `owner`, the user the steps run as, as if the job had untarred it: folders
 * the entries need that the container lacks are made for that user too (the engine would make
 * them for root), while folders that exist are left as they are.
 */
export async function unpackAt(
  backend: JobBackend,
  container: string,
  at: string,
  body: Readable,
  owner: ContainerOwner,
): Promise<void> {
  const prefix = at.replace(/^\/+/, '');
  const out = pack();
  const known = new Set<string>();
  const makeParents = async (name: string): Promise<void> => {
    const parts = name.split('/');
    for (let i = 1; i < parts.length; i += 1) {
      const folder = parts.slice(0, i).join('/');
      if (known.has(folder)) continue;
      known.add(folder);
      if (!(await backend.hasPath(container, `/${folder}`)))
        out.entry({ name: folder, type: 'directory', mode: 0o755, ...owner });
    }
    known.add(name);
  };
  const copying = copyEntries(decompressed(body), out, (name) => posix.join(prefix, name), {
    owner,
    before: makeParents,
  }).then(
    () => out.finalize(),
    (error: unknown) => out.destroy(error as Error),
  );
  await Promise.all([backend.putArchive(container, '/', nodeStream(out)), copying]);
}

/** Every entry of `tar` whose new name `mapName` gives, into `out`; resolves at the end of `tar`. */
function copyEntries(
  tar: Readable,
  out: Pack,
  mapName: (name: string) => string | undefined,
  unpacking?: { owner: ContainerOwner; before: (name: string) => Promise<void> },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const entries = extract();
    entries.on('entry', (header: Header, body, next) => {
      const name = mapName(header.name.replace(/\/$/, ''));
      if (name === undefined || name === '' || name === '.') {
        body.on('end', next).resume();
        return;
      }
      const linkname = header.type === 'link' && header.linkname ? mapName(header.linkname) : header.linkname;
      const ready = unpacking ? unpacking.before(name) : Promise.resolve();
      ready.then(
        () => body.pipe(out.entry({ ...header, name, linkname, ...unpacking?.owner }, next)),
        (error: unknown) => entries.destroy(error as Error),
      );
    });
    pipeline(tar, entries, (error) => (error ? reject(error) : resolve()));
  });
}

/** `from/rest` → `to/rest`; undefined for a name outside `from`. */
function rename(name: string, from: string, to: string): string | undefined {
  if (name === from) return to;
  return name.startsWith(`${from}/`) ? posix.join(to, name.slice(from.length + 1)) : undefined;
}

/** tar-stream's packer as a Node stream, its failure included. */
function nodeStream(out: Pack): Readable {
  const through = new PassThrough();
  out.on('error', (error: Error) => through.destroy(error));
  return out.pipe(through);
}

function compressed(tar: Readable): Readable {
  return pipeline(tar, createZstdCompress(), new PassThrough(), () => undefined);
}

function decompressed(body: Readable): Readable {
  return pipeline(body, createZstdDecompress(), new PassThrough(), () => undefined);
}
