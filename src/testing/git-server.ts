/**
 * The environment's git server: `git daemon` in a container of Gyre's own app image (it has git),
 * so the package needs no extra image. It serves bare repositories over git:// and keeps one work
 * tree per repository beside them, so commits are made inside the container and the host needs
 * no git either.
 *
 * Which network: the services app runs on its Compose project's network and the checkout helper
 * of every job on Docker's default bridge, and Docker keeps bridges apart. Both can reach the host
 * at its address on the default bridge (bridge-host-address.ts), so the daemon runs with host
 * networking and listens on that address only: reachable from every container on this Docker
 * host, not from the outside.
 */
import { lstat, readdir } from 'node:fs/promises';
import { posix } from 'node:path';
import type Dockerode from 'dockerode';
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
const BRANCH = /^(?!-)(?!.*\.\.)(?!.*\/\/)[A-Za-z0-9._/-]{1,200}(?<![./])$/;

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

const PUSH_SCRIPT = `set -e
repo="$1" branch="$2" base="$3" message="$4" stage="$5"
cd "${WORK_ROOT}/$repo"
git fetch --quiet "${BARE_ROOT}/$repo.git" "+refs/heads/*:refs/remotes/origin/*"
if git rev-parse --verify --quiet "refs/remotes/origin/$branch" >/dev/null; then
  git checkout --quiet --force -B "$branch" "refs/remotes/origin/$branch"
else
  git checkout --quiet --force -B "$branch" "refs/remotes/origin/$base"
fi
cp -R "$stage/." .
rm -rf "$stage"
git add --all
git commit --quiet --allow-empty -m "$message"
git push --quiet "${BARE_ROOT}/$repo.git" "HEAD:refs/heads/$branch"
git rev-parse HEAD`;

export interface GitServerOptions {
  readonly image: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** A running git server. */
export class GitServer {
  private stages = 0;

  private constructor(
    private readonly container: StartedTestContainer,
    private readonly address: string,
    private readonly port: number,
  ) {}

  static async start(docker: Dockerode, options: GitServerOptions): Promise<GitServer> {
    const address = await bridgeHostAddress(docker, options.image, options.labels);
    const port = await freePort();
    const daemon = [
      'git',
      'daemon',
      '--verbose',
      '--reuseaddr',
      '--informative-errors',
      '--export-all',
      '--enable=receive-pack',
      `--listen=${address}`,
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
      return new GitServer(container, address, port);
    } catch (error) {
      throw new GyreEnvironmentError(
        'starting the git server',
        messageOf(error),
        `check that ${options.image} runs on this Docker host and that port ${port} on ${address} is free`,
        { cause: error },
      );
    }
  }

  /** The host's address on Docker's default bridge, where the daemon listens: every container on this Docker host reaches it. */
  get hostAddress(): string {
    return this.address;
  }

  /** The URL every container on this Docker host clones the repository from. */
  url(repo: string): string {
    return `git://${this.address}:${this.port}/${repo}.git`;
  }

  /** Makes a repository of the folder's files (as `git add --all` sees them) on `branch`. Returns the commit. */
  async createFromFolder(repo: string, folder: string, branch: string): Promise<string> {
    checkBranch(branch);
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
    const work = `${WORK_ROOT}/${repo}`;
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

  /** Writes `files` over the branch's tree (starting from `base` when the branch is new), commits and pushes. */
  async push(
    repo: string,
    files: Readonly<Record<string, string>>,
    options: { branch: string; base: string; message: string },
  ): Promise<string> {
    checkBranch(options.branch);
    const stage = `${STAGE_ROOT}/${++this.stages}`;
    const contents = Object.entries(files).map(([path, content]) => ({
      content,
      target: `${stage}/${checkPath(path)}`,
    }));
    await this.run(['mkdir', '-p', stage]);
    if (contents.length > 0) await this.container.copyContentToContainer(contents);
    return this.script(`pushing to ${repo}`, PUSH_SCRIPT, [repo, options.branch, options.base, options.message, stage]);
  }

  async stop(): Promise<void> {
    await this.container.stop({ remove: true, removeVolumes: true, timeout: 0 });
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

function checkBranch(branch: string): void {
  if (!BRANCH.test(branch))
    throw new GyreEnvironmentError(
      'checking the branch name',
      `${JSON.stringify(branch)} is not a branch name this helper accepts`,
      'use letters, digits, dots, dashes, underscores and slashes, e.g. feature/x',
    );
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
