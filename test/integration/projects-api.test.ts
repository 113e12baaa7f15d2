import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { createDatabasePool } from '../../src/services/database/create-pool.js';
import { startServices, type RunningServices } from '../../src/services/start-services.js';
import { runGyre } from '../support/cli.js';
import { freePort } from '../support/free-port.js';
import { startTestDatabase, type TestDatabase } from '../support/postgres.js';
import { settingsFrom } from '../support/settings.js';

// GIVEN the services app on a real PostgreSQL, with a token made by `gyre tokens create`.
let database: TestDatabase;
let services: RunningServices;
let base: string;
let token: string;

const secrets = {
  GYRE_JOIN_SECRET: 'j'.repeat(40),
  GYRE_ADMIN_PASSWORD: 'admin-password-123',
  GYRE_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  GYRE_SESSION_SECRET: 's'.repeat(40),
};

beforeAll(async () => {
  database = await startTestDatabase();
  const [httpPort, adminPort] = [await freePort(), await freePort()];
  const settings = settingsFrom({ ...secrets, GYRE_DATABASE_URL: database.url, GYRE_HTTP_PORT: String(httpPort), GYRE_ADMIN_PORT: String(adminPort) }, 'serve');
  services = await startServices(settings, pino({ level: 'silent' }), { version: 'test', host: '127.0.0.1' });
  base = `http://127.0.0.1:${httpPort}`;
  const created = runGyre(['tokens', 'create', '--name', 'tests', '--json'], { env: { ...process.env, ...secrets, GYRE_DATABASE_URL: database.url } });
  expect(created.status).toBe(0);
  token = (JSON.parse(created.stdout) as { token: string }).token;
}, 180_000);

afterAll(async () => {
  await services?.close();
  await database?.stop();
}, 60_000);

const api = (path: string, init: RequestInit = {}) =>
  fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.body !== undefined && { 'content-type': 'application/json' }), ...init.headers } });
const post = (path: string, body: unknown) => api(path, { method: 'POST', body: JSON.stringify(body) });

describe('the projects API', () => {
  it('creates a project and shows its webhook secret once', async () => {
    const response = await post('/api/v1/projects', { name: 'acme/web', gitUrl: 'https://git.example.com/acme/web.git' });
    expect(response.status).toBe(201);
    const project = (await response.json()) as { id: number; webhookSecret: string };
    expect(project).toMatchObject({ name: 'acme/web', defaultBranch: 'main', webhookSecret: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const again = (await (await api(`/api/v1/projects/${project.id}`)).json()) as Record<string, unknown>;
    expect(again).toMatchObject({ id: project.id, name: 'acme/web' });
    expect(again).not.toHaveProperty('webhookSecret');
  });

  it('refuses a taken name with 409', async () => {
    const response = await post('/api/v1/projects', { name: 'acme/web', gitUrl: 'https://git.example.com/other.git' });
    expect(response.status).toBe(409);
    expect(await response.json()).toEqual({ error: { code: 'conflict', message: 'a project named "acme/web" already exists; choose another name' } });
  });

  it('names every bad field of a request in one 400', async () => {
    const response = await post('/api/v1/projects', { name: '', gitUrl: 'not a url', colour: 'red' });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; details: { input: string }[] } };
    expect(body.error.code).toBe('invalid_input');
    expect(body.error.details.map((d) => d.input)).toEqual(expect.arrayContaining(['body', 'body/name', 'body/gitUrl']));
  });

  it('answers malformed JSON with 400, not 500', async () => {
    const response = await api('/api/v1/projects', { method: 'POST', body: '{"name": "x",' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBeDefined();
  });

  it('refuses requests without a valid token', async () => {
    expect((await fetch(`${base}/api/v1/projects`)).status).toBe(401);
    const forged = await fetch(`${base}/api/v1/projects`, { headers: { authorization: `Bearer gyre_pat_${'A'.repeat(43)}` } });
    expect(forged.status).toBe(401);
    expect(await forged.json()).toEqual({ error: { code: 'unauthenticated', message: 'the API token is unknown or revoked' } });
  });

  it('pages through projects with a cursor', async () => {
    for (const n of [1, 2, 3]) await post('/api/v1/projects', { name: `page/p${n}`, gitUrl: 'git@example.com:page.git' });
    const first = (await (await api('/api/v1/projects?limit=2')).json()) as { items: { name: string }[]; nextCursor: number };
    const second = (await (await api(`/api/v1/projects?limit=2&after=${first.nextCursor}`)).json()) as { items: { name: string }[]; nextCursor: number | null };
    expect([...first.items, ...second.items].map((p) => p.name)).toEqual(['acme/web', 'page/p1', 'page/p2', 'page/p3']);
    expect(second.nextCursor).toBeNull();
  });

  it('keeps project variables encrypted: the API shows names and last 4 characters, the database no plaintext', async () => {
    const plaintext = 'sk_live_51HyperSecretValue9876';
    const created = (await (await post('/api/v1/projects', { name: 'acme/vars', gitUrl: 'https://git.example.com/vars.git' })).json()) as { id: number; webhookSecret: string };
    expect((await api(`/api/v1/projects/${created.id}/variables/STRIPE_KEY`, { method: 'PUT', body: JSON.stringify({ value: plaintext }) })).status).toBe(204);
    const listed = (await (await api(`/api/v1/projects/${created.id}/variables`)).json()) as { items: unknown[] };
    expect(listed.items).toEqual([{ name: 'STRIPE_KEY', last4: '9876', updatedAt: expect.any(String) }]);

    const pool = createDatabasePool(database.url, pino({ level: 'silent' }));
    const dump = await pool.query<{ t: string }>(
      "SELECT string_agg(t::text, '|') AS t FROM (SELECT p::text AS t FROM projects p UNION ALL SELECT v::text FROM project_variables v UNION ALL SELECT encode(value, 'escape') FROM project_variables UNION ALL SELECT encode(webhook_secret, 'escape') FROM projects) x",
    );
    await pool.end();
    expect(dump.rows[0]!.t).not.toContain(plaintext);
    expect(dump.rows[0]!.t).not.toContain(created.webhookSecret);
  });

  it('deletes a project, after which it is gone', async () => {
    const created = (await (await post('/api/v1/projects', { name: 'acme/gone', gitUrl: 'https://git.example.com/gone.git' })).json()) as { id: number };
    expect((await api(`/api/v1/projects/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    const response = await api(`/api/v1/projects/${created.id}`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: 'not_found', message: `project ${created.id} does not exist` } });
  });
});
