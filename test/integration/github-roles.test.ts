import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { createDatabasePool, type Database } from '../../src/services/database/create-pool.js';
import { createApiToken } from '../../src/services/stores/accounts/api-tokens.js';
import { startGitHubDouble, type GitHubDouble } from '../support/github-double.js';
import { startServicesUnderTest, type ServicesUnderTest } from '../support/services-under-test.js';
import { useGitHubDouble } from '../support/github-app.js';
import { WebClient } from '../support/web-client.js';

// GIVEN the real services app with the GitHub double as its GitHub app, sign-up open, and two
// private projects linked to GitHub repositories, made by an administrator: octocat is a member
// of neither. Roles that follow GitHub come from octocat's permission on each repository, read
// with the token of his GitHub sign-in.
const REPOSITORY = 'acme/private-app';
let gyre: ServicesUnderTest;
let github: GitHubDouble;
let db: Database;
let project: number;
let other: number;
let token: string;
const browser = () => new WebClient(gyre.base);

beforeAll(async () => {
  [gyre, github] = await Promise.all([startServicesUnderTest(), startGitHubDouble()]);
  db = createDatabasePool(gyre.database.url, pino({ level: 'silent' }));
  await useGitHubDouble(gyre, github);
  await gyre.openSignup();
  const create = async (name: string) =>
    (
      (await (
        await gyre.api('/api/v1/projects', { body: { name, gitUrl: `https://github.com/${name}.git` } })
      ).json()) as {
        id: number;
      }
    ).id;
  project = await create(REPOSITORY);
  other = await create('acme/other');
  await signInAsOctocat();
  const id = (await db.query<{ id: string }>("SELECT id FROM users WHERE login = 'octocat'")).rows[0]!.id;
  token = (await createApiToken(db, "octocat's token", Number(id))).token;
}, 300_000);

afterAll(async () => {
  await db?.end();
  await Promise.all([gyre?.stop(), github?.stop()]);
}, 120_000);

/** The OAuth round trip as a browser makes it; a new sign-in also forgets the roles read before. */
async function signInAsOctocat(): Promise<WebClient> {
  const client = browser();
  const start = await client.get('/auth/github/start');
  expect(new URL(start.headers.get('location')!).searchParams.get('scope')).toBe('read:user repo');
  const approved = await fetch(start.headers.get('location')!, { redirect: 'manual' });
  const callback = new URL(approved.headers.get('location')!);
  expect((await client.get(`${callback.pathname}${callback.search}`)).status).toBe(302);
  return client;
}

const asOctocat = (path: string, method = 'GET', body?: unknown) =>
  fetch(`${gyre.base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });

const listed = async () =>
  ((await (await asOctocat('/api/v1/projects')).json()) as { items: { id: number }[] }).items.map((p) => p.id);

describe('roles that follow GitHub', () => {
  it('give no role where GitHub gives no permission: the project answers 404 and is not listed', async () => {
    expect((await asOctocat(`/api/v1/projects/${project}`)).status).toBe(404);
    expect(await listed()).toEqual([]);
  });

  it('make pull a viewer: the project is listed and shown, but triggering it is refused', async () => {
    github.grant('octocat', REPOSITORY, 'pull');
    const web = await signInAsOctocat();
    expect(await listed()).toEqual([project]);
    expect(await (await web.get('/')).text()).toContain(REPOSITORY);
    expect((await asOctocat(`/api/v1/projects/${project}`)).status).toBe(200);
    const trigger = await asOctocat(`/api/v1/projects/${project}/pipelines`, 'POST', { branch: 'main' });
    expect(trigger.status).toBe(403);
    expect((await asOctocat(`/api/v1/projects/${other}`)).status).toBe(404);
  });

  it('make push a member, who may trigger but not change settings', async () => {
    github.grant('octocat', REPOSITORY, 'push');
    await signInAsOctocat();
    const trigger = await asOctocat(`/api/v1/projects/${project}/pipelines`, 'POST', { branch: 'main' });
    // Past the policy: the handler then finds github.com unreachable from here, or no such branch.
    expect(trigger.status).not.toBe(403);
    expect(trigger.status).not.toBe(404);
    const patch = await asOctocat(`/api/v1/projects/${project}`, 'PATCH', { defaultBranch: 'develop' });
    expect(patch.status).toBe(403);
  });

  it('make admin a maintainer', async () => {
    github.grant('octocat', REPOSITORY, 'admin');
    await signInAsOctocat();
    const patch = await asOctocat(`/api/v1/projects/${project}`, 'PATCH', { defaultBranch: 'develop' });
    expect(patch.status).toBe(200);
  });

  it('are cached for minutes: GitHub is asked once, and a permission taken away there counts after the cache', async () => {
    const before = github.repositoryReads.get(REPOSITORY) ?? 0;
    for (let i = 0; i < 5; i++) expect((await asOctocat(`/api/v1/projects/${project}`)).status).toBe(200);
    expect(github.repositoryReads.get(REPOSITORY) ?? 0).toBe(before);
    github.grant('octocat', REPOSITORY, undefined);
    expect((await asOctocat(`/api/v1/projects/${project}`)).status).toBe(200);
    // Once the cached role is older than its time to live, GitHub is asked again.
    await db.query("UPDATE github_repository_roles SET checked_at = now() - interval '10 minutes'");
    expect((await asOctocat(`/api/v1/projects/${project}`)).status).toBe(404);
    expect(await listed()).toEqual([]);
  });

  it('keep explicit memberships: a member added in Gyre keeps the role whatever GitHub says', async () => {
    expect(
      (await gyre.api(`/api/v1/projects/${other}/members/octocat`, { method: 'PUT', body: { role: 'viewer' } })).status,
    ).toBe(200);
    expect((await asOctocat(`/api/v1/projects/${other}`)).status).toBe(200);
    expect(await listed()).toEqual([other]);
  });

  it('keep the token sealed: the database holds it nowhere in clear', async () => {
    const sealed = await db.query<{ t: string }>("SELECT u::text AS t FROM users u WHERE login = 'octocat'");
    expect(sealed.rows[0]!.t).not.toMatch(/gho_[0-9a-f]{32}/);
  });
});
