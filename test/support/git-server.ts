/**
 * A real git server for integration tests: Debian's `git daemon` in a container, serving bare
 * repositories over git:// with anonymous push. Tests push with real git on the host.
 *
 * The image is built from ./git-server/Dockerfile on `debian:bookworm-slim` (the base that
 * `gyre images build --offline` makes), not taken from `gyre/app`, so the git server neither
 * depends on nor changes when the product image is rebuilt by other tests. Docker's layer cache
 * makes every build after the first take about a second.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { packageRoot } from '../../src/shared/package-files.js';

const run = promisify(execFile);
const IMAGE = 'gyre/test-git-server:1';
// From the package root, so the compiled benchmarks (dist-bench/) find the same build context.
const CONTEXT = join(packageRoot, 'test/support/git-server');
const GIT_PORT = 9418;
const REPO_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const AUTHOR = ['-c', 'user.name=Gyre Test', '-c', 'user.email=test@gyre.invalid'];

/** What a push makes. */
export interface PushOptions {
  /** @default 'main' */
  readonly branch?: string;
  /** @default 'test commit' */
  readonly message?: string;
  /** A lightweight tag to create on the new commit. */
  readonly tag?: string;
}

/** A running git server. */
export interface GitServer {
  readonly container: StartedTestContainer;
  /** The git:// URL of a repository, as the host reaches it. */
  url(repo: string): string;
  /** Creates an empty bare repository whose default branch is `main`. */
  createRepo(name: string): Promise<void>;
  /** Commits exactly `files` (path → content) on top of the branch, and pushes it. */
  push(repo: string, files: Readonly<Record<string, string>>, options?: PushOptions): Promise<{ readonly sha: string }>;
  /** Deletes a branch on the server, as `git push --delete` would. */
  deleteBranch(repo: string, branch: string): Promise<void>;
  /** Stops and removes the container and the local work trees; safe to call twice. */
  stop(): Promise<void>;
}

/** Builds (cached) and starts the git server; the container carries `io.gyre.test=true`. */
export async function startGitServer(): Promise<GitServer> {
  const image = await GenericContainer.fromDockerfile(CONTEXT).build(IMAGE, { deleteOnExit: false });
  const container = await image
    .withLabels({ 'io.gyre.test': 'true' })
    .withExposedPorts(GIT_PORT)
    .withWaitStrategy(Wait.forLogMessage('Ready to rumble'))
    .start();
  const workRoot = await mkdtemp(join(tmpdir(), 'gyre-git-server-'));
  const url = (repo: string) =>
    `git://${container.getHost()}:${container.getMappedPort(GIT_PORT)}/${checkName(repo)}.git`;
  let stopped = false;
  return {
    container,
    url,
    createRepo: async (name) => {
      const result = await container.exec([
        'git',
        'init',
        '--bare',
        '--quiet',
        '--initial-branch=main',
        `/srv/git/${checkName(name)}.git`,
      ]);
      if (result.exitCode !== 0) throw new Error(`git init of test repository ${name} failed: ${result.output}`);
    },
    deleteBranch: async (repo, branch) => {
      const result = await container.exec([
        'git',
        '-C',
        `/srv/git/${checkName(repo)}.git`,
        'update-ref',
        '-d',
        `refs/heads/${branch}`,
      ]);
      if (result.exitCode !== 0)
        throw new Error(`deleting branch ${branch} of test repository ${repo} failed: ${result.output}`);
    },
    push: (repo, files, options = {}) => pushFiles(join(workRoot, checkName(repo)), url(repo), files, options),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await Promise.all([
        container.stop({ remove: true, removeVolumes: true }),
        rm(workRoot, { recursive: true, force: true }),
      ]);
    },
  };
}

async function pushFiles(
  work: string,
  remote: string,
  files: Readonly<Record<string, string>>,
  options: PushOptions,
): Promise<{ sha: string }> {
  const branch = options.branch ?? 'main';
  await mkdir(work, { recursive: true });
  await git(work, 'init', '--quiet');
  await git(work, 'fetch', '--quiet', remote, '+refs/heads/*:refs/remotes/origin/*');
  const known = await git(work, 'branch', '--remotes', '--list', `origin/${branch}`);
  if (known.trim() === '') await git(work, 'checkout', '--quiet', '--orphan', branch);
  else await git(work, 'checkout', '--quiet', '-B', branch, `refs/remotes/origin/${branch}`);
  // The new tree is exactly `files`: what an earlier push had and this one lacks is deleted.
  await git(work, 'rm', '-r', '--quiet', '--force', '--ignore-unmatch', '--', '.');
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(work, path)), { recursive: true });
    await writeFile(join(work, path), content);
  }
  await git(work, 'add', '--all');
  await git(work, ...AUTHOR, 'commit', '--quiet', '--allow-empty', '-m', options.message ?? 'test commit');
  const refs = [`HEAD:refs/heads/${branch}`, ...(options.tag === undefined ? [] : [`HEAD:refs/tags/${options.tag}`])];
  await git(work, 'push', '--quiet', remote, ...refs);
  return { sha: (await git(work, 'rev-parse', 'HEAD')).trim() };
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('git', args, {
    cwd,
    timeout: 60_000,
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
  });
  return stdout;
}

function checkName(name: string): string {
  if (!REPO_NAME.test(name)) throw new Error(`test repository name ${JSON.stringify(name)} must match ${REPO_NAME}`);
  return name;
}
