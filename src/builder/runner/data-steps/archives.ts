/**
 * Tar streams of the primary container's files, as the engine's archive API gives and takes them,
 * renamed on the way so an archive holds exactly the paths a step means. Everything is a stream:
 * a 2 GB artifact never sits in the builder's memory.
 */
import { posix } from 'node:path';
import { PassThrough, pipeline, type Readable } from 'node:stream';
import { createZstdCompress, createZstdDecompress } from 'node:zlib';
import { extract, pack, type Header, type Pack } from 'tar-stream';
import { nodeStream } from '../../../shared/tar-streams.js';
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
      await copyEntries(
        tar,
        (name) => {
          const renamed = rename(name, from, source.name);
          return renamed !== undefined && (source.keep?.(renamed) ?? true) ? renamed : undefined;
        },
        (header, done) => out.entry(header, done),
      );
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
 *
 * The engine holds the container for as long as an archive is being put into it, so it answers
 * no `hasPath` meanwhile; asking while our own put waits for the answer would hang both. An entry
 * whose folders are not known yet therefore ends the put under way, asks, and starts the next
 * one: a put per top-level path of the archive, since tars list a folder before what it holds.
 */
export async function unpackAt(
  backend: JobBackend,
  container: string,
  at: string,
  body: Readable,
  owner: ContainerOwner,
): Promise<void> {
  const prefix = at.replace(/^\/+/, '');
  const tar = decompressed(body);
  const known = new Set<string>();
  let put: { out: Pack; done: Promise<void> } | undefined;
  const endPut = async (): Promise<void> => {
    const current = put;
    put = undefined;
    current?.out.finalize();
    await current?.done;
  };
  const startPut = (): Pack => {
    const out = pack();
    const done = backend.putArchive(container, '/', nodeStream(out));
    // A failed put ends the copy, which would otherwise wait for a packer nobody reads any more.
    done.catch((error: unknown) => tar.destroy(error as Error));
    put = { out, done };
    return out;
  };
  const packerFor = async (name: string): Promise<Pack> => {
    const unknown = parentsOf(name).filter((folder) => !known.has(folder));
    const missing: string[] = [];
    if (unknown.length > 0) await endPut();
    for (const folder of unknown) {
      known.add(folder);
      if (!(await backend.hasPath(container, `/${folder}`))) missing.push(folder);
    }
    known.add(name);
    const out = put?.out ?? startPut();
    for (const folder of missing) out.entry({ name: folder, type: 'directory', mode: 0o755, ...owner });
    return out;
  };
  try {
    await copyEntries(
      tar,
      (name) => posix.join(prefix, name),
      async (header, done) => (await packerFor(header.name)).entry({ ...header, ...owner }, done),
    );
  } catch (error) {
    put?.out.destroy(error as Error);
    throw error;
  }
  await endPut();
}

/** Adds one entry, already renamed, to an archive: the stream its body goes to; `done` once written. */
type AddEntry = (
  header: Parameters<Pack['entry']>[0],
  done: (error?: Error | null) => void,
) => EntrySink | Promise<EntrySink>;
type EntrySink = ReturnType<Pack['entry']>;

/** Every entry of `tar` whose new name `mapName` gives, through `add`; resolves at the end of `tar`. */
function copyEntries(tar: Readable, mapName: (name: string) => string | undefined, add: AddEntry): Promise<void> {
  return new Promise((resolve, reject) => {
    const entries = extract();
    entries.on('entry', (header: Header, body, next) => {
      const name = mapName(header.name.replace(/\/$/, ''));
      if (name === undefined || name === '' || name === '.') {
        body.on('end', next).resume();
        return;
      }
      const linkname = header.type === 'link' && header.linkname ? mapName(header.linkname) : header.linkname;
      Promise.resolve(add({ ...header, name, linkname }, next)).then(
        (sink) => body.pipe(sink),
        (error: unknown) => entries.destroy(error as Error),
      );
    });
    pipeline(tar, entries, (error) => (error ? reject(error) : resolve()));
  });
}

/** `a/b/c` → `a`, `a/b`. */
function parentsOf(name: string): string[] {
  const parts = name.split('/');
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join('/'));
}

/** `from/rest` → `to/rest`; undefined for a name outside `from`. */
function rename(name: string, from: string, to: string): string | undefined {
  if (name === from) return to;
  return name.startsWith(`${from}/`) ? posix.join(to, name.slice(from.length + 1)) : undefined;
}

function compressed(tar: Readable): Readable {
  return pipeline(tar, createZstdCompress(), new PassThrough(), () => undefined);
}

function decompressed(body: Readable): Readable {
  return pipeline(body, createZstdDecompress(), new PassThrough(), () => undefined);
}
