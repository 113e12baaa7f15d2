/**
 * The services box's view of git: read one file at one commit, and resolve a branch to a commit.
 * Backed by one bare mirror per repository under `cacheDir` (on the data volume), so a commit is
 * fetched once and every later read of it works without the network.
 *
 * Concurrency: inside one process, fetches into one mirror run one at a time (a per-URL queue),
 * and a caller that waited re-checks for its commit before fetching. Across processes, mirrors are
 * created atomically (init under a temporary name, then rename) and git's own ref lock files keep
 * concurrent fetches consistent; a fetch that loses a lock race is retried once. Reads never lock:
 * git's object store only grows and ref updates are atomic.
 *
 * Mirrors are keyed by the repository and the access scope (a project and its credential), so a
 * project never reads objects another project fetched with its credential; a commit already in
 * the scope's mirror is served without asking the remote again. Before anything, the URL's host
 * is checked against the {@link HostPolicy}, on every call, since DNS may have changed.
 *
 * A deploy key's ssh learns the host key on first use into `<mirror>.known_hosts` beside the
 * mirror and refuses a changed key afterwards (delete that file after a legitimate change).
 */
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { MAX_CONFIG_BYTES } from '../core/pipeline-config/index.js';
import { validateBranchName, validateCommitSha, validateRepositoryPath } from './git-arguments.js';
import { GitError } from './git-error.js';
import { HostPolicy } from './host-policy.js';
import { KeyedLock } from '../../shared/keyed-lock.js';
import { withAccessEnvironment, type RepositoryAccess } from './repository-access.js';
import {
  ensureMirrorExists,
  fetchBranchesAndTags,
  fetchUnadvertisedCommit,
  hasCommit,
  readBlob,
  readTreeEntry,
  type MirrorContext,
} from './mirror-repository.js';
import { mirrorDirectoryName, parseRepositoryUrl, redactSecretsInText } from './repository-url.js';
import { gitEnvironment, runGit, summariseStderr } from './run-git.js';

/** Settings for {@link GitMirror}. */
export interface GitMirrorOptions {
  /** Directory holding one bare mirror per repository; created on first use. */
  readonly cacheDir: string;
  readonly logger: Logger;
  /** Time limit for each git command, in milliseconds. @default 120_000 */
  readonly timeoutMs?: number;
  /** Largest file {@link GitMirror.readFile} returns, in bytes. @default MAX_CONFIG_BYTES (1 MiB) */
  readonly maxFileBytes?: number;
  /** Accept `file://` repository URLs. Only tests need this. @default false */
  readonly allowFileUrls?: boolean;
  /** Environment for git. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Which hosts may be fetched from. @default loopback, link-local and this machine's networks refused, nothing allowed */
  readonly hostPolicy?: HostPolicy;
}

const DEFAULT_TIMEOUT_MS = 120_000;
const REGULAR_FILE_MODES = new Set(['100644', '100755']);

/** Reads files from remote git repositories through a local mirror cache. */
export class GitMirror {
  private readonly cacheDir: string;
  private readonly timeoutMs: number;
  private readonly maxFileBytes: number;
  private readonly env: NodeJS.ProcessEnv;
  private readonly fetchLock = new KeyedLock();
  private readonly hostPolicy: HostPolicy;

  constructor(private readonly options: GitMirrorOptions) {
    this.cacheDir = resolve(options.cacheDir);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxFileBytes = options.maxFileBytes ?? MAX_CONFIG_BYTES;
    this.env = gitEnvironment(options.env ?? process.env, options.allowFileUrls === true);
    this.hostPolicy = options.hostPolicy ?? new HostPolicy({ allowed: [] });
  }

  /**
   * The text of the file at `path` in commit `sha`, or undefined when the commit has no such
   * file. Fetches only when the mirror lacks the commit.
   * @throws {GitError} `invalid-url`, `not-allowed`, `invalid-argument`, `unreachable`, `timeout`,
   *   `commit-not-found`, `file-too-large`, `not-a-file` or `git-failed`.
   */
  async readFile(access: RepositoryAccess, sha: string, path: string): Promise<string | undefined> {
    const commit = validateCommitSha(sha);
    const filePath = validateRepositoryPath(path);
    return this.withContext(access, async (context) => {
      await this.fetchCommitInto(context, commit);
      return this.readFileAt(context, commit, filePath);
    });
  }

  private async readFileAt(context: MirrorContext, commit: string, filePath: string): Promise<string | undefined> {
    const entry = await readTreeEntry(context, commit, filePath);
    if (entry === undefined) return undefined;
    const where = `${filePath} at commit ${commit} in ${context.url.redacted}`;
    if (entry.type !== 'blob' || !REGULAR_FILE_MODES.has(entry.mode)) {
      throw new GitError(
        'not-a-file',
        `${where} is a ${describeMode(entry.mode)}, not a regular file. Commit the file itself at that path`,
      );
    }
    const tooLarge = () =>
      new GitError(
        'file-too-large',
        `${where} is ${entry.size ?? 'over'} bytes; the limit is ${this.maxFileBytes} bytes. Make the file smaller`,
      );
    if (entry.size === undefined || entry.size > this.maxFileBytes) throw tooLarge();
    const bytes = await readBlob(context, entry.objectId, this.maxFileBytes);
    if (bytes === undefined) throw tooLarge();
    return bytes.toString('utf8');
  }

  /**
   * Makes sure the mirror holds commit `sha`, fetching it when missing; for callers that go on
   * to read more than one file.
   * @throws {GitError} as {@link GitMirror.readFile}, except the file kinds.
   */
  async fetchCommit(access: RepositoryAccess, sha: string): Promise<void> {
    const commit = validateCommitSha(sha);
    await this.withContext(access, (context) => this.fetchCommitInto(context, commit));
  }

  /**
   * The commit a branch points at on the remote right now (`git ls-remote`), or undefined when
   * the remote has no such branch. Does not use or change the mirror.
   * @throws {GitError} `invalid-url`, `not-allowed`, `invalid-argument`, `unreachable` or `timeout`.
   */
  async resolveBranch(access: RepositoryAccess, branch: string): Promise<string | undefined> {
    const ref = `refs/heads/${validateBranchName(branch)}`;
    // ls-remote needs no repository; `/` is a cwd that always exists, unlike the cache on first use.
    const { url, outcome } = await this.withContext(access, async (context) => ({
      url: context.url,
      outcome: await runGit({
        command: 'ls-remote',
        args: ['--heads', '--', context.url.original, ref],
        cwd: '/',
        env: context.env,
        timeoutMs: this.timeoutMs,
        repository: context.url.redacted,
      }),
    }));
    if (outcome.exitCode !== 0) {
      throw new GitError(
        'unreachable',
        `Could not list branches of repository ${url.redacted}: ${redactSecretsInText(summariseStderr(outcome.stderr))}. ` +
          "Check the project's git URL, that the services box can reach the host (DNS, proxy, firewall, CA certificates) and, for a private repository, that its credentials are valid",
      );
    }
    // ls-remote matches patterns by suffix, so `refs/heads/x/refs/heads/main` would match too.
    for (const line of outcome.stdout.toString('utf8').split('\n')) {
      const [sha, name] = line.split('\t');
      if (name === ref && sha !== undefined && /^[0-9a-f]{40}$/.test(sha)) return sha;
    }
    return undefined;
  }

  private async fetchCommitInto(context: MirrorContext, sha: string): Promise<void> {
    await ensureMirrorExists(context);
    if (await hasCommit(context, sha)) return;
    await this.fetchLock.run(context.dir, async () => {
      // Another call may have fetched it while this one waited for the lock.
      if (await hasCommit(context, sha)) return;
      const startedAt = Date.now();
      await fetchBranchesAndTags(context);
      if (!(await hasCommit(context, sha))) await fetchUnadvertisedCommit(context, sha);
      context.logger.info(
        { repository: context.url.redacted, sha, durationMs: Date.now() - startedAt },
        'fetched into git mirror',
      );
      if (!(await hasCommit(context, sha))) {
        throw new GitError(
          'commit-not-found',
          `Commit ${sha} is not in repository ${context.url.redacted}, not even after fetching its branches, tags and pull-request refs. ` +
            "Check that the commit was pushed and that the project's git URL points at the repository it was pushed to",
        );
      }
    });
  }

  /** Checks the host, then runs `task` with the scope's mirror and git's environment for the credential. */
  private async withContext<T>(access: RepositoryAccess, task: (context: MirrorContext) => Promise<T>): Promise<T> {
    const url = parseRepositoryUrl(access.gitUrl, { allowFileUrls: this.options.allowFileUrls === true });
    const addresses = await this.hostPolicy.check(url);
    const dir = join(this.cacheDir, mirrorDirectoryName(url, access.scope));
    const environment = { base: this.env, url, credential: access.credential, addresses };
    return withAccessEnvironment({ ...environment, knownHostsFile: `${dir}.known_hosts` }, (env) =>
      task({ cacheDir: this.cacheDir, dir, url, env, timeoutMs: this.timeoutMs, logger: this.options.logger }),
    );
  }
}

function describeMode(mode: string): string {
  if (mode === '040000') return 'directory';
  if (mode === '120000') return 'symbolic link';
  if (mode === '160000') return 'submodule';
  return `git object of mode ${mode}`;
}
