/**
 * The environment's git server: `git daemon` in a container of Gyre's own app image (it has git),
 * so the package needs no extra image. It serves bare repositories over git:// and keeps one work
 * tree per repository beside them, so commits are made inside the container and the host needs
 * no git either.
 *
 * Which network: the services app runs on its Compose project's network and the checkout helper
 * of every job on the job's own network, and Docker keeps bridges apart. Both can reach the host
 * at its address on the default bridge (bridge-host-address.ts), so the daemon runs with host
 * networking and listens on that address only: reachable from every container on this Docker
 * host, not from the outside. Jobs reach it only where the builder's egress policy opens it
 * ({@link GitServer.egressEntry}), as a git server on a real builder's host would need.
 *
 * Gyre's own integration tests use this same server (test/support/git-server.ts) with a small
 * image of Debian's git, and with `pushReplacesTree`, so that a push's files are the whole commit.
 */
import { lstat, readdir } from 'node:fs/promises';
import { posix } from 'node:path';
import type Dockerode from 'dockerode';
import type { EgressEntry } from '../config/index.js';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { bridgeHostAddress } from './bridge-host-address.js';
import { GyreEnvironmentError, messageOf } from './errors.js';
import { freePort } from './free-port.js';

const BARE_ROOT = '/srv/git';
const WORK_ROOT = '/srv/work';
const STAGE_ROOT = '/srv/stage';
const GIT_ENVIRONMENT = {
  GIT_TERMINAL_PROMPT: '0',
  GIT_AUTHOR_NAME: 'Gyre Test',
  GIT_AUTHOR_EMAIL: 'test@gyre.invalid',
  GIT_COMMITTER_NAME: 'Gyre Test',
  GIT_COMMITTER_EMAIL: 'test@gyre.invalid',
};
/** A branch or tag name this server accepts (a subset of git's ref-name rules). */
const REF_NAME = /^(?!-)(?!.*\.\.)(?!.*\/\/)[A-Za-z0-9._/-]{1,200}(?<![./])$/;
const REPO_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

const CREATE_SCRIPT = `set -e
repo="$1" branch="$2" message="$3"
git init --quiet --bare --initial-branch="$branch" "${BARE_ROOT}/$repo.git"
cd "${WORK_ROOT}/$repo"
rm -rf .git
git init --quiet --initial-branch="$branch"
git add --all
git commit --quiet --allow-empty -m "$message"
git push --quiet "${BARE_ROOT}/$repo.git" "HEAD:refs/heads/$branch"
git rev-parse HEAD`;

const CREATE_EMPTY_SCRIPT = `set -e
repo="$1" branch="$2"
git init --quiet --bare --initial-branch="$branch" "${BARE_ROOT}/$repo.git"
mkdir -p "${WORK_ROOT}/$repo"
git init --quiet --initial-branch="$branch" "${WORK_ROOT}/$repo"`;

// A new branch starts from the base branch, or with no parent in a repository without commits.
// With replace=yes the staged files become the whole tree: what the branch had is removed first.
const PUSH_SCRIPT = `set -e
repo="$1" branch="$2" base="$3" message="$4" stage="$5" replace="$6" tag="$7"
cd "${WORK_ROOT}/$repo"
git fetch --quiet "${BARE_ROOT}/$repo.git" "+refs/heads/*:refs/remotes/origin/*"
if git rev-parse --verify --quiet "refs/remotes/origin/$branch" >/dev/null; then
  git checkout --quiet --force -B "$branch" "refs/remotes/origin/$branch"
elif git rev-parse --verify --quiet "refs/remotes/origin/$base" >/dev/null; then
  git checkout --quiet --force -B "$branch" "refs/remotes/origin/$base"
else
  git checkout --quiet --orphan "$branch"
fi
if [ "$replace" = yes ]; then git rm -r --quiet --force --ignore-unmatch -- .; fi
cp -R "$stage/." .
rm -rf "$stage"
git add --all
git commit --quiet --allow-empty -m "$message"
git push --quiet "${BARE_ROOT}/$repo.git" "HEAD:refs/heads/$branch"
if [ -n "$tag" ]; then git push --quiet "${BARE_ROOT}/$repo.git" "HEAD:refs/tags/$tag"; fi
git rev-parse HEAD`;

export interface GitServerOptions {
  /** An image with git and `cat`, such as Gyre's app image. */
  readonly image: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The address the daemon listens on. @default the host's address on Docker's default bridge */
  readonly listen?: string;
  /** Each push's files are the branch's whole new tree: files it had and the push lacks are deleted. @default false */
  readonly pushReplacesTree?: boolean;
}

/** What a push makes. */
export interface GitPush {
  /** @default 'main' */
  readonly branch?: string;
  /** The branch a new branch starts from. @default 'main' */
  readonly base?: string;
  /** @default 'Update from test' */
  readonly message?: string;
  /** A lightweight tag to create on the new commit. */
  readonly tag?: string;
}

/** A running git server. */
export class GitServer {
  private stages = 0;
  private stopped: Promise<void> | undefined;

  private constructor(
    private readonly container: StartedTestContainer,
    private readonly address: string,
    /** The daemon's TCP port, on every address it listens on. */
    readonly port: number,
    private readonly replaceTree: boolean,
  ) {}

  static async start(docker: Dockerode, options: GitServerOptions): Promise<GitServer> {
    const address = await bridgeHostAddress(docker, options.image, options.labels);
    const listen = options.listen ?? address;
    const port = await freePort();
    const daemon = [
      'git',
      'daemon',
      '--verbose',
      '--reuseaddr',
      '--informative-errors',
      '--export-all',
      '--enable=receive-pack',
      `--listen=${listen}`,
      `--port=${port}`,
      `--base-path=${BARE_ROOT}`,
      BARE_ROOT,
    ];
    try {
      const container = await new GenericContainer(options.image)
        .withNetworkMode('host')
        .withUser('0:0')
        .withEntrypoint(['/bin/sh', '-c', `mkdir -p ${BARE_ROOT} ${WORK_ROOT} ${STAGE_ROOT} && exec "$@"`, 'sh'])
        .withCommand(daemon)
        .withLabels({ ...options.labels })
        .withWaitStrategy(Wait.forLogMessage('Ready to rumble'))
        .withStartupTimeout(60_000)
        .start();
      return new GitServer(container, address, port, options.pushReplacesTree === true);
    } catch (error) {
      throw new GyreEnvironmentError(
        'starting the git server',
        messageOf(error),
        `check that ${options.image} runs on this Docker host and that port ${port} on ${listen} is free`,
        { cause: error },
      );
    }
  }

  /** The host's address on Docker's default bridge, where the daemon listens: every container on this Docker host reaches it. */
  get hostAddress(): string {
    return this.address;
  }

  /**
   * The GYRE_EGRESS_ALLOW entry that opens the daemon to jobs: a job's checkout runs on its own
   * network, under the builder's egress policy, which refuses the builder host's addresses.
   */
  get egressEntry(): EgressEntry {
    return { block: this.address, ports: { first: this.port, last: this.port } };
  }

  /** The server's container, e.g. to pause it and see what Gyre does when git does not answer. */
  get containerId(): string {
    return this.container.getId();
  }

  /** The URL every container on this Docker host clones the repository from. */
  url(repo: string): string {
    return `git://${this.address}:${this.port}/${checkRepo(repo)}.git`;
  }

  /** Makes a repository of the folder's files (as `git add --all` sees them) on `branch`. Returns the commit. */
  async createFromFolder(repo: string, folder: string, branch: string): Promise<string> {
    checkRef(branch);
    if (
      !(await lstat(folder).then(
        (s) => s.isDirectory(),
        () => false,
      ))
    ) {
      throw new GyreEnvironmentError(
        `creating repository ${repo}`,
        `${folder} is not a folder`,
        "pass the path of a folder that holds the project's files, e.g. one with .circleci/config.yml",
      );
    }
    const work = `${WORK_ROOT}/${checkRepo(repo)}`;
    try {
      if (await isEmpty(folder)) await this.run(['mkdir', '-p', work]);
      else await this.container.copyDirectoriesToContainer([{ source: folder, target: work }]);
    } catch (error) {
      throw new GyreEnvironmentError(`copying ${folder} into the git server`, messageOf(error), undefined, {
        cause: error,
      });
    }
    return this.script(`creating repository ${repo}`, CREATE_SCRIPT, [repo, branch, `Files of ${folder}`]);
  }

  /** Makes a repository without commits whose default branch is `branch`; the first push creates it. */
  async createRepo(repo: string, branch = 'main'): Promise<void> {
    checkRef(branch);
    await this.script(`creating repository ${repo}`, CREATE_EMPTY_SCRIPT, [checkRepo(repo), branch]);
  }

  /**
   * Writes `files` (path → content) over the branch's tree, or as its whole tree with
   * `pushReplacesTree`, then commits and pushes. A new branch starts from `base`.
   */
  async push(repo: string, files: Readonly<Record<string, string>>, options: GitPush = {}): Promise<{ sha: string }> {
    const { branch = 'main', base = 'main', message = 'Update from test', tag = '' } = options;
    for (const ref of [branch, base, ...(tag === '' ? [] : [tag])]) checkRef(ref);
    const stage = `${STAGE_ROOT}/${++this.stages}`;
    const contents = Object.entries(files).map(([path, content]) => ({
      content,
      target: `${stage}/${checkPath(path)}`,
    }));
    await this.run(['mkdir', '-p', stage]);
    if (contents.length > 0) await this.container.copyContentToContainer(contents);
    const replace = this.replaceTree ? 'yes' : 'no';
    const sha = await this.script(`pushing to ${repo}`, PUSH_SCRIPT, [
      checkRepo(repo),
      branch,
      base,
      message,
      stage,
      replace,
      tag,
    ]);
    return { sha };
  }

  /** Deletes a branch on the server, as `git push --delete` would. */
  deleteBranch(repo: string, branch: string): Promise<void> {
    return this.updateRef(repo, `refs/heads/${branch}`, null);
  }

  /** Points a ref of the bare repository at a commit, such as `refs/pull/7/head`; `null` deletes it. */
  async updateRef(repo: string, ref: string, sha: string | null): Promise<void> {
    checkRef(ref);
    if (sha !== null && !/^[0-9a-f]{40}$/.test(sha))
      throw new GyreEnvironmentError(`updating ${ref} of ${repo}`, `${JSON.stringify(sha)} is not a commit sha`);
    const change = sha === null ? ['-d', ref] : [ref, sha];
    await this.run(
      ['git', '-C', `${BARE_ROOT}/${checkRepo(repo)}.git`, 'update-ref', ...change],
      `updating ${ref} of ${repo}`,
    );
  }

  /** Stops and removes the container with its repositories. Safe to call twice. */
  stop(): Promise<void> {
    this.stopped ??= this.container.stop({ remove: true, removeVolumes: true, timeout: 0 }).then(() => undefined);
    return this.stopped;
  }

  private async script(step: string, script: string, args: string[]): Promise<string> {
    const output = await this.run(['/bin/sh', '-c', script, 'sh', ...args], step);
    return output.trim().split('\n').at(-1) ?? '';
  }

  private async run(command: string[], step = 'running git'): Promise<string> {
    const result = await this.container.exec(command, { env: GIT_ENVIRONMENT });
    if (result.exitCode !== 0)
      throw new GyreEnvironmentError(step, `exit code ${result.exitCode}: ${result.output.trim()}`);
    return result.stdout;
  }
}

async function isEmpty(folder: string): Promise<boolean> {
  return (await readdir(folder)).length === 0;
}

function checkRef(name: string): void {
  if (!REF_NAME.test(name))
    throw new GyreEnvironmentError(
      'checking the branch or tag name',
      `${JSON.stringify(name)} is not a branch or tag name this helper accepts`,
      'use letters, digits, dots, dashes, underscores and slashes, e.g. feature/x',
    );
}

function checkRepo(name: string): string {
  if (!REPO_NAME.test(name))
    throw new GyreEnvironmentError(
      'checking the repository name',
      `${JSON.stringify(name)} is not a repository name this helper accepts`,
      'use letters, digits, dots, dashes and underscores, starting with a letter or digit, up to 100',
    );
  return name;
}

/** A file path inside the repository: relative, and never leaving it. */
function checkPath(path: string): string {
  const normal = posix.normalize(path);
  if (
    path === '' ||
    posix.isAbsolute(path) ||
    normal === '.' ||
    normal.startsWith('../') ||
    normal === '..' ||
    normal.split('/').includes('.git')
  ) {
    throw new GyreEnvironmentError(
      'pushing files',
      `${JSON.stringify(path)} is not a file path inside the repository`,
      'give paths relative to the repository root, such as .circleci/config.yml',
    );
  }
  return normal;
}
