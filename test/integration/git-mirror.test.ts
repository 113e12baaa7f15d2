import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino, type Logger } from 'pino';
import {
  GitError,
  GitMirror,
  HostPolicy,
  mirrorDirectoryName,
  parseRepositoryUrl,
  type RepositoryAccess,
} from '../../src/services/git/index.js';
import { freePort } from '../../src/testing/free-port.js';
import { startGitServer, type GitServer } from '../support/git-server.js';

const run = promisify(execFile);
const CONFIG = '.circleci/config.yml';
const configText = (job: string) =>
  `version: 2.1\njobs:\n  ${job}:\n    docker: [{ image: node:24 }]\n    steps: [checkout]\n`;

interface LogLine {
  readonly msg: string;
  readonly repository?: string;
}
const logLines: LogLine[] = [];
const logger: Logger = pino(
  { level: 'debug' },
  { write: (line: string) => void logLines.push(JSON.parse(line) as LogLine) },
);
const fetchesOf = (url: string) =>
  logLines.filter((l) => l.msg === 'fetched into git mirror' && l.repository === url).length;

let server: GitServer;
let cacheDir: string;
let mirror: GitMirror;

/** One scope for every read here: the scopes' separation is tested on its own. */
const SCOPE = 'project:1/credential:none';
const at = (gitUrl: string): RepositoryAccess => ({ scope: SCOPE, gitUrl });
/** The test git server is on this machine's Docker bridge, so it is listed as an administrator would. */
const testHosts = () => new HostPolicy({ allowed: [server.hostAddress, '127.0.0.1'] });

beforeAll(async () => {
  server = await startGitServer();
  cacheDir = await mkdtemp(join(tmpdir(), 'gyre-git-mirrors-'));
  mirror = new GitMirror({ cacheDir, logger, hostPolicy: testHosts(), timeoutMs: 60_000 });
}, 300_000);

afterAll(async () => {
  await server?.stop();
  if (cacheDir !== undefined) await rm(cacheDir, { recursive: true, force: true });
}, 60_000);

/** The rejection of `promise` as a GitError, failing the test if it resolves. */
async function gitErrorOf(promise: Promise<unknown>): Promise<GitError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GitError);
  return error as GitError;
}

/**
 * Two commits that only refs/pull/7/head leads to, like a pull request from a fork: `head` is
 * the ref's tip and `earlier` its parent, whose webhook could arrive after the next push.
 */
async function pushPullRequestHead(repo: string): Promise<{ readonly earlier: string; readonly head: string }> {
  await server.createRepo(repo);
  await server.push(repo, { [CONFIG]: configText('main') });
  const earlier = await server.push(repo, { [CONFIG]: configText('earlier') }, { branch: 'fork' });
  const head = await server.push(repo, { [CONFIG]: configText('pr') }, { branch: 'fork' });
  await server.updateRef(repo, 'refs/pull/7/head', head.sha);
  await server.deleteBranch(repo, 'fork');
  return { earlier: earlier.sha, head: head.sha };
}

/** `<sha> <ref>` lines of the mirror of a repository on the server. */
async function mirrorRefs(repo: string): Promise<string> {
  const dir = join(cacheDir, mirrorDirectoryName(parseRepositoryUrl(server.url(repo)), SCOPE));
  return (await run('git', ['show-ref'], { cwd: dir })).stdout;
}

describe('GitMirror against a real git server', () => {
  it('reads the config at a pushed commit, and a second read is served from the mirror', async () => {
    await server.createRepo('reads');
    const { sha } = await server.push('reads', { [CONFIG]: configText('build'), 'README.md': 'hello\n' });

    expect(await mirror.readFile(at(server.url('reads')), sha, CONFIG)).toBe(configText('build'));
    expect(await mirror.readFile(at(server.url('reads')), sha, 'README.md')).toBe('hello\n');
    expect(fetchesOf(server.url('reads'))).toBe(1);
  }, 120_000);

  it('fetches a commit pushed after the mirror was created', async () => {
    await server.createRepo('later');
    const first = await server.push('later', { [CONFIG]: configText('first') });
    expect(await mirror.readFile(at(server.url('later')), first.sha, CONFIG)).toBe(configText('first'));

    const second = await server.push('later', { [CONFIG]: configText('second') }, { branch: 'feature/x' });
    expect(await mirror.readFile(at(server.url('later')), second.sha, CONFIG)).toBe(configText('second'));
    expect(await mirror.readFile(at(server.url('later')), first.sha, CONFIG)).toBe(configText('first'));
    expect(fetchesOf(server.url('later'))).toBe(2);
  }, 120_000);

  it('reads a commit that only a tag points at', async () => {
    await server.createRepo('tagged');
    await server.push('tagged', { [CONFIG]: configText('main') });
    const tagged = await server.push('tagged', { [CONFIG]: configText('release') }, { branch: 'tmp', tag: 'v1.0.0' });
    await server.deleteBranch('tagged', 'tmp');

    expect(await mirror.readFile(at(server.url('tagged')), tagged.sha, CONFIG)).toBe(configText('release'));
  }, 120_000);

  it('fetches a pull-request head that is in no branch or tag by its id', async () => {
    const { head: sha } = await pushPullRequestHead('sha-wants');

    expect(await mirror.readFile(at(server.url('sha-wants')), sha, CONFIG)).toBe(configText('pr'));
    const refs = await mirrorRefs('sha-wants');
    expect(refs).toContain(`${sha} refs/gyre/commits/${sha}`);
    expect(refs).not.toContain('refs/pull/');
  }, 120_000);

  it('falls back to refs/pull/* when the server refuses a fetch by id', async () => {
    const { earlier: sha } = await pushPullRequestHead('pull-refs');
    // Over protocol v0 (older servers) a server without uploadpack.allowReachableSHA1InWant
    // refuses a want for a commit that no ref points at directly.
    const v0 = { ...process.env, GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'protocol.version', GIT_CONFIG_VALUE_0: '0' };
    const oldServerMirror = new GitMirror({ cacheDir, logger, hostPolicy: testHosts(), env: v0 });

    expect(await oldServerMirror.readFile(at(server.url('pull-refs')), sha, CONFIG)).toBe(configText('earlier'));
    expect(await mirrorRefs('pull-refs')).toContain(' refs/pull/7/head');
    expect(
      logLines.filter(
        (l) => l.msg === 'git fetch of an unadvertised commit was refused' && l.repository === server.url('pull-refs'),
      ),
    ).toHaveLength(1);
  }, 120_000);

  it('returns undefined for a file the commit does not have', async () => {
    await server.createRepo('absent');
    const { sha } = await server.push('absent', { 'src/index.js': 'console.log(1)\n' });

    expect(await mirror.readFile(at(server.url('absent')), sha, CONFIG)).toBeUndefined();
    expect(await mirror.readFile(at(server.url('absent')), sha, 'src/index.js/config.yml')).toBeUndefined();
  }, 120_000);

  it('refuses a directory and a file over the size limit with errors that name the path', async () => {
    await server.createRepo('limits');
    const { sha } = await server.push('limits', { [CONFIG]: 'x'.repeat(2048) });
    const small = new GitMirror({ cacheDir, logger, hostPolicy: testHosts(), maxFileBytes: 1024 });

    const tooLarge = await gitErrorOf(small.readFile(at(server.url('limits')), sha, CONFIG));
    expect(tooLarge.kind).toBe('file-too-large');
    expect(tooLarge.message).toContain(`${CONFIG} at commit ${sha}`);
    expect(tooLarge.message).toContain('2048 bytes; the limit is 1024 bytes');
    const directory = await gitErrorOf(small.readFile(at(server.url('limits')), sha, '.circleci'));
    expect(directory.kind).toBe('not-a-file');
  }, 120_000);

  it('fails with commit-not-found for a sha the repository does not have', async () => {
    await server.createRepo('unknown-sha');
    await server.push('unknown-sha', { [CONFIG]: configText('build') });
    const missing = 'f'.repeat(40);

    const error = await gitErrorOf(mirror.readFile(at(server.url('unknown-sha')), missing, CONFIG));
    expect(error.kind).toBe('commit-not-found');
    expect(error.message).toContain(`Commit ${missing} is not in repository ${server.url('unknown-sha')}`);
  }, 120_000);

  it('resolves an existing branch and returns undefined for a missing one', async () => {
    await server.createRepo('branches');
    const main = await server.push('branches', { [CONFIG]: configText('main') });
    const feature = await server.push('branches', { [CONFIG]: configText('feature') }, { branch: 'feature/login' });

    expect(await mirror.resolveBranch(at(server.url('branches')), 'main')).toBe(main.sha);
    expect(await mirror.resolveBranch(at(server.url('branches')), 'feature/login')).toBe(feature.sha);
    expect(await mirror.resolveBranch(at(server.url('branches')), 'login')).toBeUndefined();
    expect(await mirror.resolveBranch(at(server.url('branches')), 'nope')).toBeUndefined();
  }, 120_000);

  it('serves 10 concurrent reads of a new repository with one fetch and leaves the mirror intact', async () => {
    await server.createRepo('concurrent');
    const { sha } = await server.push('concurrent', { [CONFIG]: configText('build') });

    const texts = await Promise.all(
      Array.from({ length: 10 }, () => mirror.readFile(at(server.url('concurrent')), sha, CONFIG)),
    );
    expect(texts).toEqual(Array.from({ length: 10 }, () => configText('build')));
    expect(fetchesOf(server.url('concurrent'))).toBe(1);
    const dir = join(cacheDir, mirrorDirectoryName(parseRepositoryUrl(server.url('concurrent')), SCOPE));
    await expect(run('git', ['fsck', '--full', '--strict'], { cwd: dir })).resolves.toBeDefined();
  }, 120_000);
  it('keeps the mirror intact when two processes share the cache and fetch at once', async () => {
    await server.createRepo('two-processes');
    const { sha } = await server.push('two-processes', { [CONFIG]: configText('build') });
    // Separate instances have separate in-process locks, so only git's own locking is between them.
    const processes = [
      mirror,
      new GitMirror({ cacheDir, logger, hostPolicy: testHosts() }),
      new GitMirror({ cacheDir, logger, hostPolicy: testHosts() }),
    ];

    const texts = await Promise.all(
      processes.flatMap((p) => [
        p.readFile(at(server.url('two-processes')), sha, CONFIG),
        p.readFile(at(server.url('two-processes')), sha, CONFIG),
      ]),
    );
    expect(new Set(texts)).toEqual(new Set([configText('build')]));
    const dir = join(cacheDir, mirrorDirectoryName(parseRepositoryUrl(server.url('two-processes')), SCOPE));
    await expect(run('git', ['fsck', '--full', '--strict'], { cwd: dir })).resolves.toBeDefined();
    expect((await readdir(cacheDir)).filter((name) => name.startsWith('.init-'))).toEqual([]);
  }, 120_000);
});

describe('GitMirror when the remote does not answer', () => {
  it('fails with unreachable for a closed port of an allowed host, naming the repository', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/owner/repo.git`;

    const error = await gitErrorOf(mirror.readFile(at(url), 'a'.repeat(40), CONFIG));
    expect(error.kind).toBe('unreachable');
    expect(error.message).toContain(`Could not fetch from repository ${url}`);
    expect(error.message).toMatch(/Failed to connect|Connection refused|Could not connect/i);
    const listing = await gitErrorOf(mirror.resolveBranch(at(`git://127.0.0.1:${port}/repo.git`), 'main'));
    expect(listing.kind).toBe('unreachable');
  }, 60_000);

  it('refuses loopback addresses nobody allowed without running git, saying only that they are not allowed', async () => {
    // GIVEN a mirror with the default policy, and a closed and an open port on this machine
    const strict = new GitMirror({ cacheDir, logger });
    const closed = await freePort();
    for (const url of [
      `http://127.0.0.1:${closed}/a.git`,
      `git://localhost:${closed}/a.git`,
      server.url('reads').replace(server.hostAddress, '127.0.0.1'),
    ]) {
      // WHEN it is asked to read from them
      const error = await gitErrorOf(strict.readFile(at(url), 'a'.repeat(40), CONFIG));
      // THEN both answer alike: no word of connections, ports or git servers
      expect(error.kind).toBe('not-allowed');
      expect(error.message).toMatch(/^The repository host \S+ is not allowed: /);
      expect(error.message).not.toMatch(/connect|refused|port|daemon/i);
    }
  }, 60_000);

  it('refuses a URL with a token in it, without repeating the token', async () => {
    const error = await gitErrorOf(
      mirror.readFile(at('https://deploy:s3cr3t-token@example.com/o/r.git'), 'a'.repeat(40), CONFIG),
    );
    expect(error.kind).toBe('invalid-url');
    expect(error.message).toContain("set the project's git credential instead");
    expect(error.message).not.toContain('s3cr3t-token');
  });

  it('keeps the mirrors of two scopes apart: each fetches for itself', async () => {
    await server.createRepo('scopes');
    const { sha } = await server.push('scopes', { [CONFIG]: configText('scoped') });
    const url = server.url('scopes');
    await mirror.readFile({ scope: 'project:1/credential:a', gitUrl: url }, sha, CONFIG);
    await mirror.readFile({ scope: 'project:2/credential:none', gitUrl: url }, sha, CONFIG);
    expect(fetchesOf(url)).toBe(2);
    const names = ['project:1/credential:a', 'project:2/credential:none'].map((scope) =>
      mirrorDirectoryName(parseRepositoryUrl(url), scope),
    );
    expect(new Set(names).size).toBe(2);
  }, 60_000);

  it('times out a fetch from a server that never answers, and kills git with its helpers', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(silent.address() as { port: number }).port}/repo.git`;
    const impatient = new GitMirror({ cacheDir, logger, hostPolicy: testHosts(), timeoutMs: 1_500 });
    try {
      const startedAt = Date.now();
      const error = await gitErrorOf(impatient.readFile(at(url), 'b'.repeat(40), CONFIG));
      expect(error.kind).toBe('timeout');
      expect(error.message).toBe(
        `Timed out after 1s500ms waiting for \`git fetch\` on repository ${url}. Check that the services box can reach the git host (DNS, proxy, firewall), or raise the git timeout for very large repositories`,
      );
      expect(Date.now() - startedAt).toBeLessThan(10_000);
      expect(await processesMentioning(url)).toEqual([]);
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise((resolve) => silent.close(resolve));
    }
  }, 60_000);
});

/** Command lines of running processes that contain `text` (git-remote-http gets the URL as an argument). */
async function processesMentioning(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch((error: NodeJS.ErrnoException) => {
      // The process exited between readdir and readFile.
      if (error.code === 'ENOENT' || error.code === 'ESRCH') return '';
      throw error;
    });
    if (cmdline.includes(text)) found.push(cmdline.replaceAll('\0', ' '));
  }
  return found;
}

describe('GitMirror cache', () => {
  it('serves a commit it already fetched after the git server has stopped', async () => {
    const own = await startGitServer();
    try {
      await own.createRepo('cached');
      const { sha } = await own.push('cached', { [CONFIG]: configText('cached') });
      const url = own.url('cached');
      expect(await mirror.readFile(at(url), sha, CONFIG)).toBe(configText('cached'));

      await own.stop();
      expect(await mirror.readFile(at(url), sha, CONFIG)).toBe(configText('cached'));
      expect(await mirror.readFile(at(url), sha, 'missing.txt')).toBeUndefined();
      expect(fetchesOf(url)).toBe(1);
    } finally {
      await own.stop();
    }
  }, 300_000);
});
