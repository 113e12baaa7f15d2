/**
 * `~/.ssh` of the primary container, read and written through the engine's archive API, so the
 * image needs no tools and nothing passes through a process's environment or command line. Files
 * are written 0600 and owned by the user the steps run as; the folder is made 0700 when missing.
 * A `~/.ssh`, or a file in it, that is a link or of another kind is reported, never replaced.
 */
import { posix } from 'node:path';
import { text } from 'node:stream/consumers';
import { pack } from 'tar-stream';
import type { JobBackend } from '../../docker/index.js';
import type { ContainerOwner } from './data-steps/container-paths.js';
import { eachEntry, nodeStream } from '../../shared/tar-streams.js';

/** The primary container and whose `~/.ssh` it is. */
export interface SshFolderContext {
  readonly backend: JobBackend;
  readonly primary: string;
  /** `$HOME` in the primary container. */
  readonly home: string;
  readonly owner: ContainerOwner;
}

/** What `~/.ssh` holds now: whether it is there, and the text of the file asked for ('' if none). */
export interface SshFolder {
  readonly exists: boolean;
  readonly text: string;
}

export function sshFolderOf(ctx: Pick<SshFolderContext, 'home'>): string {
  return posix.join(ctx.home, '.ssh');
}

/** `~/.ssh` and the text of `~/.ssh/<file>` (ending in a newline), or why nothing may be written there. */
export async function readSshFile(ctx: SshFolderContext, file: string): Promise<SshFolder | string> {
  if (!(await ctx.backend.hasPath(ctx.primary, ctx.home)))
    return `the home folder ${ctx.home} is not in the container; set HOME to a folder the job's user owns`;
  const sshDir = sshFolderOf(ctx);
  if (!(await ctx.backend.hasPath(ctx.primary, sshDir))) return { exists: false, text: '' };
  let kind: string | undefined;
  let fileKind: string | undefined;
  let content = '';
  await eachEntry(await ctx.backend.getArchive(ctx.primary, sshDir), async (header, body) => {
    const name = header.name.replace(/\/$/, '');
    if (name === '.ssh') kind = header.type;
    if (name !== `.ssh/${file}`) return;
    fileKind = header.type;
    if (fileKind === 'file') content = await text(body);
  });
  if (kind !== 'directory')
    return `${sshDir} is not a folder (a ${kind ?? 'missing entry'}); Gyre writes only into a real folder`;
  if (fileKind !== undefined && fileKind !== 'file')
    return `${sshDir}/${file} is a ${fileKind}, not a file; Gyre appends only to a real file`;
  return { exists: true, text: content === '' ? '' : withNewline(content) };
}

/** Writes the files into `~/.ssh`, making the folder first when `makeFolder`. */
export async function writeSshFiles(
  ctx: SshFolderContext,
  files: readonly { readonly name: string; readonly body: string }[],
  makeFolder: boolean,
): Promise<void> {
  const out = pack();
  const root = sshFolderOf(ctx).replace(/^\/+/, '');
  if (makeFolder) out.entry({ name: root, type: 'directory', mode: 0o700, ...ctx.owner });
  for (const file of files) out.entry({ name: posix.join(root, file.name), mode: 0o600, ...ctx.owner }, file.body);
  out.finalize();
  await ctx.backend.putArchive(ctx.primary, '/', nodeStream(out));
}

export function withNewline(value: string): string {
  return value.endsWith('\n') ? value : `${value}\n`;
}
