/**
 * Files in and out of the primary container through a helper container of the agent's image
 * (ARCHITECTURE: job images need nothing extra). The helper joins the primary's PID namespace and
 * runs as the job's own user, so at `/proc/1/root` it sees the job's files as the job does and
 * may read and write only what the job may; `tar` and `zstd` there move the bytes without the
 * engine's archive API, which carries every byte through dockerd at a fraction of tar's speed
 * (docs/design/data-between-jobs.md). It holds no credential.
 */
import type { Readable } from 'node:stream';
import { isHelperExit, type ContainerSpec } from '../../../docker/index.js';
import { messageOf } from '../../../shared/errors.js';
import type { HelperPlacement } from '../environment-setup.js';
import type { DataStepContext } from './data-step-context.js';

/** The image and labels of the job's helper containers. */
export interface HelperContainers {
  readonly image: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The job's network: the builder reaches the helper there (src/docker/helper-channel.ts). */
  readonly network: string;
  /** Its share of the job's limits (see `inJobCgroup`). */
  readonly placement: HelperPlacement;
}

/** The primary's root file system, seen from a process in its PID namespace. */
const JOB_ROOT = '/proc/1/root';

// Arguments: the folder, then the paths under it, named in the archive as they are given. tar
// exits 1 when a file changed while it was read: the archive is whole, and its warning is logged.
const PACK_SCRIPT = `cd "${JOB_ROOT}$1" || exit 2
shift
tar -c -f - -- "$@" | zstd -q -3 -T1 -c
codes=("\${PIPESTATUS[@]}")
[ "\${codes[0]}" -le 1 ] && [ "\${codes[1]}" -eq 0 ]`;

// Argument: the folder to unpack in, made (for the job's user) if missing. Files become the job
// user's (whoever the archive names), folders that exist keep their owner and mode, and missing
// folders are made for the job's user: as if the job had untarred it.
const UNPACK_SCRIPT = `set -o pipefail
mkdir -p -- "${JOB_ROOT}$1" && cd "${JOB_ROOT}$1" || exit 2
zstd -q -d -c | tar -x -p -f - --no-same-owner --no-overwrite-dir`;

// Prints each argument whose nearest existing folder above it is not where its name says: one
// reached through a symbolic link, which the helper would resolve in its own file system.
const LINKED_PARENTS_SCRIPT = `for p; do d=\${p%/*}
while [ -n "$d" ] && [ ! -e "$d" ]; do d=\${d%/*}; done
[ -n "$d" ] || d=/
[ "$(cd -P -- "$d" 2>/dev/null && pwd -P)" = "$d" ] || printf '%s\\n' "$p"; done`;

/**
 * The absolute paths (in the primary) of `paths` a helper cannot take as they are named, since a
 * folder above them is a symbolic link; asked of the primary's own shell, which resolves links
 * in the job's file system.
 */
export async function linkedParents(ctx: DataStepContext, paths: readonly string[]): Promise<string[]> {
  const chunks: Buffer[] = [];
  const exitCode = await ctx.backend.exec(ctx.primary, {
    cmd: ['/bin/sh', '-c', LINKED_PARENTS_SCRIPT, 'gyre-paths', ...paths],
    onOutput: (data) => void chunks.push(data),
  });
  // Without a working shell every path counts as linked: the archive API takes them all.
  if (exitCode !== 0) return [...paths];
  return Buffer.concat(chunks)
    .toString('utf8')
    .split('\n')
    .filter((line) => paths.includes(line));
}

/** A zstd-compressed tar of `names` (relative paths, `.` for the folder itself) under the absolute `dir`. */
export function packInHelper(
  ctx: DataStepContext,
  helper: HelperContainers,
  dir: string,
  names: readonly string[],
): Readable {
  const spec = helperSpec(ctx, helper, PACK_SCRIPT, 'gyre-pack', [dir, ...names]);
  return ctx.backend.streamContainer(spec, { onStderr: logLines(ctx) }).stdout;
}

/** Unpacks a zstd-compressed tar whose names are relative to the absolute `at` into the primary. */
export async function unpackInHelper(
  ctx: DataStepContext,
  helper: HelperContainers,
  at: string,
  body: Readable,
): Promise<void> {
  const spec = helperSpec(ctx, helper, UNPACK_SCRIPT, 'gyre-unpack', [at]);
  const { stdout } = ctx.backend.streamContainer(spec, { stdin: body, onStderr: logLines(ctx) });
  try {
    // tar -x says nothing on stdout; reading it to its end waits for the helper's exit code.
    for await (const chunk of stdout) ctx.log((chunk as Buffer).toString('utf8').trimEnd());
  } finally {
    // A helper that failed leaves the download unread: its connection is let go here.
    body.destroy();
  }
}

/**
 * Moves `what` through a helper's `tar` when there is a helper and `helperFits`, else through the
 * engine's archive API, which resolves links in the job's own file system and writes as root with
 * the job user's ownership: slower, but it takes what the helper could not (a folder above a path
 * that is a link to an absolute path, a file the job's user may not read or a folder it may not
 * write). A helper that fails is therefore tried again that way, its reason in the log.
 */
export async function withHelperOrEngine<T>(
  ctx: DataStepContext,
  what: string,
  via: { helper: (helper: HelperContainers) => Promise<T>; engine: () => Promise<T> },
  helperFits: () => Promise<boolean> = () => Promise.resolve(true),
): Promise<T> {
  if (ctx.helper === undefined || !(await helperFits())) return via.engine();
  try {
    return await via.helper(ctx.helper);
  } catch (error) {
    if (!isHelperExit(error)) throw error;
    ctx.log(
      `The helper's tar could not move ${what} (${messageOf(error)}); moving it through the Docker Engine instead`,
    );
    return via.engine();
  }
}

/** Uploads `body`; whatever of it the upload did not read is let go (its helper is stopped). */
export async function uploading<T>(body: Readable, upload: (body: Readable) => Promise<T>): Promise<T> {
  try {
    return await upload(body);
  } finally {
    body.destroy();
  }
}

function helperSpec(
  ctx: DataStepContext,
  helper: HelperContainers,
  script: string,
  name: string,
  args: readonly string[],
): ContainerSpec {
  return {
    image: helper.image,
    user: `${ctx.owner.uid}:${ctx.owner.gid}`,
    entrypoint: ['/bin/bash', '-c', script, name],
    cmd: [...args],
    labels: helper.labels,
    network: { name: helper.network },
    ...helper.placement,
    pidOf: ctx.primary,
    // A link to an absolute path in the job's files resolves in the helper's own file system; read
    // only, a write through one fails (and the step goes through the engine) instead of vanishing.
    readOnlyRoot: true,
  };
}

/** The helper's messages (tar's warnings) as lines of the step's log. */
function logLines(ctx: DataStepContext): (data: Buffer) => void {
  return (data) => {
    for (const line of data.toString('utf8').split('\n')) if (line.trim() !== '') ctx.log(line.trimEnd());
  };
}
