import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Agent } from '../../src/builder/agent/agent.js';
import { createDatabasePool, type Database } from '../../src/services/database/create-pool.js';
import { GitError, GitMirror, HostPolicy } from '../../src/services/git/index.js';
import { basicAuthorization } from '../../src/shared/git-credential.js';
import { jobsMayReach, startAgent } from '../support/agent-under-test.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { jobLog, waitForJobs } from '../support/pipeline-runs.js';
import { PrivateGitFront } from '../support/private-git-front.js';
import { startServicesUnderTest, testGitAllowedHosts, type ServicesUnderTest } from '../support/services-under-test.js';

// GIVEN the real services app on a real PostgreSQL, a real agent running jobs in containers, and
// private repositories behind real git: smart HTTP that wants a token, and ssh that wants one key.
const TOKEN = 'ghs_Pr1vate-T0ken-4b9c2d7e';
const HEADER = basicAuthorization('x-access-token', TOKEN).slice('Basic '.length);
const CONFIG = `version: 2.1
jobs:
  build:
    docker: [{ image: debian:bookworm-slim }]
    steps:
      - checkout
      - run: echo "url=$CIRCLE_REPOSITORY_URL"; cat README.md; grep -qsi "authorization\\|extraheader" .git/config || echo clean
workflows:
  main: { jobs: [build] }
`;

let gyre: ServicesUnderTest;
let git: GitServer;
let front: PrivateGitFront;
let agent: Agent;
let db: Database;

beforeAll(async () => {
  [gyre, git] = await Promise.all([startServicesUnderTest(), startGitServer()]);
  front = await PrivateGitFront.start(git, TOKEN);
  db = createDatabasePool(gyre.database.url, pino({ level: 'silent' }));
  agent = await startAgent(gyre.base, 'credentials-agent', jobsMayReach(git.egressEntry, ...front.egressEntries));
}, 300_000);

afterAll(async () => {
  agent?.drain();
  await agent?.done;
  await db?.end();
  await front?.stop();
  await Promise.all([gyre?.stop(), git?.stop()]);
}, 120_000);

async function createProject(name: string, gitUrl: string): Promise<number> {
  const created = await gyre.api('/api/v1/projects', { body: { name, gitUrl } });
  expect(created.status).toBe(201);
  return ((await created.json()) as { id: number }).id;
}

async function setCredential(projectId: number, body: object): Promise<Record<string, unknown>> {
  const answer = await gyre.api(`/api/v1/projects/${projectId}/credential`, { method: 'PUT', body });
  expect(answer.status).toBe(200);
  return (await answer.json()) as Record<string, unknown>;
}

/** Pushes the config, triggers main, and answers the finished job's state and log. */
async function build(repo: string, projectId: number): Promise<{ state: string; log: string }> {
  await git.push(repo, { '.circleci/config.yml': CONFIG, 'README.md': `readme of ${repo}\n` });
  const pipeline = await gyre.client.triggerPipeline(projectId, 'main');
  const [job] = await waitForJobs(gyre, pipeline.id);
  return { state: job!.state, log: await jobLog(gyre, job!.id) };
}

/** Every row of every table, as text (bytea as hex), that contains one of `needles`. */
async function rowsHolding(needles: readonly string[]): Promise<string[]> {
  const tables = await db.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'",
  );
  const found: string[] = [];
  for (const { name } of tables.rows) {
    const rows = await db.query<{ row: string }>(`SELECT t::text AS row FROM "${name}" t`);
    for (const { row } of rows.rows) if (needles.some((needle) => row.includes(needle))) found.push(`${name}: ${row}`);
  }
  return found;
}

describe('a private repository', () => {
  it('is built with an https token that appears in no answer, CIRCLE_REPOSITORY_URL, log or database row', async () => {
    await git.createRepo('private-https');
    const url = front.httpUrl('private-https');
    const projectId = await createProject('acme/private-https', url);
    const shown = await setCredential(projectId, { kind: 'token', token: TOKEN });
    expect(shown).toMatchObject({ kind: 'token', username: 'x-access-token', last4: TOKEN.slice(-4) });

    const { state, log } = await build('private-https', projectId);

    expect(log).toContain(`url=${url}\n`);
    expect(state).toBe('success');
    expect(log).toContain('readme of private-https');
    expect(log).toContain('clean');
    expect(front.authorizations).toContain(`Basic ${HEADER}`);
    const answers = await Promise.all(
      [`/api/v1/projects/${projectId}`, `/api/v1/projects/${projectId}/credential`, '/api/v1/projects'].map(
        async (path) => (await gyre.api(path)).text(),
      ),
    );
    for (const text of [log, ...answers]) expect(text).not.toMatch(new RegExp(`${TOKEN}|${HEADER}`));
    const hex = (text: string) => Buffer.from(text).toString('hex');
    expect(await rowsHolding([TOKEN, HEADER, hex(TOKEN), hex(HEADER)])).toEqual([]);
  }, 300_000);

  it('is built with a deploy key Gyre generated, whose public half only the answer shows', async () => {
    await git.createRepo('private-ssh');
    const projectId = await createProject('acme/private-ssh', front.sshUrl('private-ssh'));
    const shown = await setCredential(projectId, { kind: 'deploy-key' });
    expect(shown['publicKey']).toMatch(/^ssh-ed25519 [A-Za-z0-9+/]+ gyre-project-\d+$/);
    expect(JSON.stringify(shown)).not.toContain('PRIVATE KEY');
    front.authorizeKey(shown['publicKey'] as string);

    const { state, log } = await build('private-ssh', projectId);

    expect(log).toContain('readme of private-ssh');
    expect(state).toBe('success');
    expect(log).not.toContain('PRIVATE KEY');
    const audit = await db.query<{ action: string; detail: string }>(
      "SELECT action, detail::text FROM audit_log WHERE action LIKE 'project.credential%' AND target = $1",
      [`project:${projectId}`],
    );
    expect(audit.rows).toEqual([{ action: 'project.credential_set', detail: expect.stringContaining('SHA256:') }]);
  }, 300_000);

  it('is not read through another project: mirrors are kept per project and credential', async () => {
    // GIVEN a commit that one project's mirror fetched with its token
    await git.createRepo('shared');
    const { sha } = await git.push('shared', { '.circleci/config.yml': CONFIG });
    const cacheDir = await mkdtemp(join(tmpdir(), 'gyre-mirrors-'));
    const mirror = new GitMirror({
      cacheDir,
      logger: pino({ level: 'silent' }),
      hostPolicy: new HostPolicy({ allowed: await testGitAllowedHosts() }),
    });
    const gitUrl = front.httpUrl('shared');
    const credential = { kind: 'token', username: 'x-access-token', token: TOKEN } as const;
    try {
      expect(await mirror.readFile({ scope: 'project:1/credential:a', gitUrl, credential }, sha, 'README.md')).toBe(
        undefined,
      );
      // WHEN another project without a credential asks for the same commit of the same URL
      const error = await mirror
        .readFile({ scope: 'project:2/credential:none', gitUrl }, sha, '.circleci/config.yml')
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      // THEN it fetches for itself, and the private repository refuses it
      expect(error).toBeInstanceOf(GitError);
      expect((error as GitError).kind).toBe('unreachable');
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('git URLs', () => {
  it('with a user name or token are refused on create and change, with the hint to use the credential', async () => {
    const created = await gyre.api('/api/v1/projects', {
      body: { name: 'acme/userinfo', gitUrl: `https://x-access-token:${TOKEN}@github.com/acme/app.git` },
    });
    const projectId = await createProject('acme/clean', 'https://github.com/acme/app.git');
    const changed = await gyre.api(`/api/v1/projects/${projectId}`, {
      method: 'PATCH',
      body: { gitUrl: `https://${TOKEN}@github.com/acme/app.git` },
    });
    for (const answer of [created, changed]) {
      expect(answer.status).toBe(400);
      const text = await answer.text();
      const { error } = JSON.parse(text) as { error: { details: { input: string; message: string }[] } };
      expect(error.details[0]?.input).toBe('gitUrl');
      expect(error.details[0]?.message).toContain("set the project's git credential instead");
      expect(text).not.toContain(TOKEN);
    }
    expect(await createProject('acme/ssh-user', 'git@github.com:acme/app.git')).toBeGreaterThan(0);
  });

  it('on loopback, link-local or this box are refused unless an administrator allowed them', async () => {
    for (const gitUrl of ['git://127.0.0.2/x.git', 'http://169.254.169.254/latest', 'https://[::1]/x.git']) {
      const answer = await gyre.api('/api/v1/projects', { body: { name: 'acme/internal', gitUrl } });
      expect(answer.status).toBe(400);
      expect(await answer.text()).toContain('is not allowed');
    }
    // 127.0.0.1 is in the test install's GYRE_GIT_ALLOWED_HOSTS.
    expect(await createProject('acme/allowed', 'git://127.0.0.1:1/x.git')).toBeGreaterThan(0);
  });
});
