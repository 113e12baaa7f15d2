/**
 * Build contexts. Each image's context is staged into a fresh directory holding exactly what
 * its Dockerfile may read, so that the engine sees nothing else and the fingerprint covers
 * everything it sees.
 */
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import type { ContextFile } from './inputs-hash.js';

/** A staged context directory; remove it with `dispose` when the build is over. */
export interface StagedContext {
  readonly dir: string;
  /** Top-level entries, as the engine's build API wants them. */
  readonly entries: readonly string[];
  dispose(): Promise<void>;
}

/** What to put into a context: copies of files or directories, or literal contents. */
export type ContextSource =
  | { readonly to: string; readonly copyFrom: string; readonly filter?: (path: string) => boolean }
  | { readonly to: string; readonly content: string | Buffer };

/** Creates a temporary directory for one image's files. */
export async function createStagingDir(name: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `gyre-${name}-`));
}

/** Copies the sources into a new staging directory. */
export async function stageContext(name: string, sources: readonly ContextSource[]): Promise<StagedContext> {
  const dir = await createStagingDir(name);
  try {
    for (const source of sources) {
      const target = join(dir, source.to);
      await mkdir(join(target, '..'), { recursive: true });
      if ('content' in source) await writeFile(target, source.content);
      else
        await cp(source.copyFrom, target, {
          recursive: true,
          verbatimSymlinks: true,
          filter: source.filter ?? (() => true),
        });
    }
    return await openContext(dir);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Wraps an already-filled directory as a context. */
export async function openContext(dir: string): Promise<StagedContext> {
  const entries = (await readdir(dir)).sort();
  return { dir, entries, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** Every file under a context, with its content hash, for the inputs fingerprint. */
export async function listContextFiles(dir: string): Promise<ContextFile[]> {
  const files: ContextFile[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const full = join(entry.parentPath, entry.name);
    const path = relative(dir, full).split(sep).join('/');
    if (entry.isSymbolicLink()) {
      files.push({ path, sha256: sha256(`symlink:${await readlink(full)}`), executable: false });
    } else if (entry.isFile()) {
      const mode = (await stat(full)).mode;
      files.push({ path, sha256: sha256(await readFile(full)), executable: (mode & 0o111) !== 0 });
    }
  }
  return files;
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
