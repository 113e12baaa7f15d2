/**
 * One bare mirror of one remote repository, on disk. Fetches never persist the URL (it may hold
 * credentials): every fetch names the remote on the command line and stores refs by refspec.
 *
 * Refs kept in the mirror:
 * - `refs/heads/*` and `refs/tags/*`, pruned like a `clone --mirror`;
 * - `refs/pull/*`, fetched only when a wanted commit is in no branch or tag (GitHub PR heads);
 * - `refs/gyre/commits/<sha>`, one per commit fetched by id, so `git gc` never prunes it.
 */
import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { GitError } from './git-error.js';
import { redactSecretsInText, type RepositoryUrl } from './repository-url.js';
import { runGit, summariseStderr, type GitOutcome } from './run-git.js';

/** What a mirror needs to run git. */
export interface MirrorContext {
  readonly cacheDir: string;
  /** The mirror's own directory, inside `cacheDir`. */
  readonly dir: string;
  readonly url: RepositoryUrl;
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  readonly logger: Logger;
}

/** A tree entry as `git ls-tree --long` prints it. */
export interface TreeEntry {
  readonly mode: string;
  readonly type: string;
  readonly objectId: string;
  /** Bytes for blobs; undefined for trees and submodules. */
  readonly size: number | undefined;
}

const RETRY_DELAY_MS = 500;

/** Runs git inside the mirror. */
export function gitIn(
  context: MirrorContext,
  command: string,
  args: readonly string[],
  maxStdoutBytes?: number,
): Promise<GitOutcome> {
  return runGit({
    command,
    args,
    cwd: context.dir,
    env: context.env,
    timeoutMs: context.timeoutMs,
    repository: context.url.redacted,
    maxStdoutBytes,
  });
}

/**
 * Creates the bare mirror when it does not exist yet. It is initialised under a temporary name
 * and renamed into place, so another process never sees a half-made mirror; when two race, the
 * loser drops its copy.
 */
export async function ensureMirrorExists(context: MirrorContext): Promise<void> {
  if (await isFile(join(context.dir, 'HEAD'))) return;
  await mkdir(context.cacheDir, { recursive: true });
  const temporary = await mkdtemp(join(context.cacheDir, '.init-'));
  try {
    const init = await runGit({
      command: 'init',
      args: ['--bare', '--quiet', temporary],
      cwd: context.cacheDir,
      env: context.env,
      timeoutMs: context.timeoutMs,
      repository: context.url.redacted,
    });
    if (init.exitCode !== 0) throw localFailure(context, 'init', init);
    // Always keep fetched objects as a pack, which appears atomically. Small fetches would
    // otherwise be unpacked object by object, and a fetch killed by its timeout could leave a
    // commit without its tree, which `hasCommit` would then report as present.
    const config = await gitIn({ ...context, dir: temporary }, 'config', ['fetch.unpackLimit', '1']);
    if (config.exitCode !== 0) throw localFailure(context, 'config', config);
    await rename(temporary, context.dir);
    context.logger.info({ repository: context.url.redacted, mirror: context.dir }, 'created git mirror');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Another process created the mirror first; theirs is as good as ours.
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
}

/** Whether the mirror holds the commit. Never touches the network. */
export async function hasCommit(context: MirrorContext, sha: string): Promise<boolean> {
  const outcome = await gitIn(context, 'cat-file', ['-e', `${sha}^{commit}`]);
  return outcome.exitCode === 0;
}

/**
 * Fetches every branch and tag. A failure is retried once, because another process fetching
 * into the same mirror holds git's ref lock files for a moment; a second failure means the
 * remote is unreachable. Timeouts are not retried.
 */
export async function fetchBranchesAndTags(context: MirrorContext): Promise<void> {
  const args = [
    '--prune',
    '--no-write-fetch-head',
    '--quiet',
    '--',
    context.url.original,
    '+refs/heads/*:refs/heads/*',
    '+refs/tags/*:refs/tags/*',
  ];
  const first = await gitIn(context, 'fetch', args);
  if (first.exitCode === 0) return;
  context.logger.warn(
    { repository: context.url.redacted, stderr: redactSecretsInText(summariseStderr(first.stderr)) },
    'git fetch failed; retrying once',
  );
  await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
  const second = await gitIn(context, 'fetch', args);
  if (second.exitCode === 0) return;
  throw new GitError(
    'unreachable',
    `Could not fetch from repository ${context.url.redacted}: ${redactSecretsInText(summariseStderr(second.stderr))}. ` +
      "Check the project's git URL, that the services box can reach the host (DNS, proxy, firewall, CA certificates) and, for a private repository, that its credentials are valid",
  );
}

/**
 * Best-effort fetches that may find a commit that is in no branch or tag: the commit by id
 * (GitHub allows it), then GitHub's pull-request refs. Servers may refuse both, so a failure is
 * logged, not thrown; the caller checks for the commit afterwards.
 */
export async function fetchUnadvertisedCommit(context: MirrorContext, sha: string): Promise<void> {
  const attempts: readonly (readonly string[])[] = [[`+${sha}:refs/gyre/commits/${sha}`], ['+refs/pull/*:refs/pull/*']];
  for (const refspecs of attempts) {
    const outcome = await gitIn(context, 'fetch', [
      '--no-write-fetch-head',
      '--quiet',
      '--',
      context.url.original,
      ...refspecs,
    ]);
    if (outcome.exitCode === 0 && (await hasCommit(context, sha))) return;
    if (outcome.exitCode !== 0) {
      context.logger.debug(
        { repository: context.url.redacted, refspecs, stderr: redactSecretsInText(summariseStderr(outcome.stderr)) },
        'git fetch of an unadvertised commit was refused',
      );
    }
  }
}

/** The entry at `path` in the commit's tree, or undefined when there is none. */
export async function readTreeEntry(context: MirrorContext, sha: string, path: string): Promise<TreeEntry | undefined> {
  const outcome = await gitIn(context, 'ls-tree', ['--long', '-z', '--full-tree', sha, '--', path]);
  if (outcome.exitCode !== 0) throw localFailure(context, 'ls-tree', outcome);
  for (const record of outcome.stdout.toString('utf8').split('\0')) {
    // `<mode> SP <type> SP <object> SP+ <size> TAB <path>`
    const match = /^(\d+) (\w+) ([0-9a-f]+) +(\d+|-)\t(.*)$/s.exec(record);
    if (match?.[5] !== path) continue;
    const [, mode = '', type = '', objectId = '', size = '-'] = match;
    return { mode, type, objectId, size: size === '-' ? undefined : Number(size) };
  }
  return undefined;
}

/** A blob's bytes; `maxBytes` guards against a blob that grew since its size was read. */
export async function readBlob(
  context: MirrorContext,
  objectId: string,
  maxBytes: number,
): Promise<Buffer | undefined> {
  const outcome = await gitIn(context, 'cat-file', ['blob', objectId], maxBytes);
  if (outcome.stdoutTruncated) return undefined;
  if (outcome.exitCode !== 0) throw localFailure(context, 'cat-file', outcome);
  return outcome.stdout;
}

function localFailure(context: MirrorContext, command: string, outcome: GitOutcome): GitError {
  return new GitError(
    'git-failed',
    `\`git ${command}\` failed in the mirror of ${context.url.redacted} (${context.dir}): ${redactSecretsInText(summariseStderr(outcome.stderr))}. ` +
      'Check free disk space and permissions on the git mirror cache; deleting this mirror directory is safe, it is fetched again on next use',
  );
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
