import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { createDatabasePool } from '../../src/services/database/create-pool.js';
import { startServicesUnderTest, type ServicesUnderTest } from '../support/services-under-test.js';

// GIVEN the services app on a real PostgreSQL, with a token made by `gyre tokens create`.
let gyre: ServicesUnderTest;

beforeAll(async () => {
  gyre = await startServicesUnderTest();
}, 180_000);

afterAll(async () => {
  await gyre?.stop();
}, 60_000);

const api = (path: string, init: { method?: string; body?: string } = {}) =>
  fetch(`${gyre.base}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${gyre.token}`,
      ...(init.body !== undefined && { 'content-type': 'application/json' }),
    },
  });
const post = (path: string, body: unknown) => api(path, { method: 'POST', body: JSON.stringify(body) });

describe('the projects API', () => {
  it('creates a project and shows its webhook secret once', async () => {
    const response = await post('/api/v1/projects', {
      name: 'acme/web',
      gitUrl: 'https://git.example.com/acme/web.git',
    });
    expect(response.status).toBe(201);
    const project = (await response.json()) as { id: number; webhookSecret: string };
    expect(project).toMatchObject({
      name: 'acme/web',
      defaultBranch: 'main',
      webhookSecret: expect.stringMatching(/^[0-9a-f]{64}$/),
      webhookUrl: `http://localhost:${new URL(gyre.base).port}/webhooks/github?project=${project.id}`,
    });
    const again = (await (await api(`/api/v1/projects/${project.id}`)).json()) as Record<string, unknown>;
    expect(again).toMatchObject({ id: project.id, name: 'acme/web' });
    expect(again).not.toHaveProperty('webhookSecret');
  });

  it('refuses a taken name with 409', async () => {
    const response = await post('/api/v1/projects', { name: 'acme/web', gitUrl: 'https://git.example.com/other.git' });
    expect(response.status).toBe(409);
    expect(await response.json()).toEqual({
      error: { code: 'conflict', message: 'a project named "acme/web" already exists; choose another name' },
    });
  });

  it('names every bad field of a request in one 400', async () => {
    const response = await post('/api/v1/projects', { name: '', gitUrl: 'not a url', colour: 'red' });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; details: { input: string }[] } };
    expect(body.error.code).toBe('invalid_input');
    expect(body.error.details.map((d) => d.input)).toEqual(
      expect.arrayContaining(['body', 'body/name', 'body/gitUrl']),
    );
  });

  it('answers malformed JSON with 400, not 500', async () => {
    const response = await api('/api/v1/projects', { method: 'POST', body: '{"name": "x",' });
    expect({ status: response.status, answer: await response.json() }).toEqual({
      status: 400,
      answer: {
        error: {
          code: 'fst_err_ctp_invalid_json_body',
          message: "Body is not valid JSON but content-type is set to 'application/json'",
        },
      },
    });
  });

  it('refuses requests without a valid token', async () => {
    expect((await fetch(`${gyre.base}/api/v1/projects`)).status).toBe(401);
    const forged = await fetch(`${gyre.base}/api/v1/projects`, {
      headers: { authorization: `Bearer gyre_pat_${'A'.repeat(43)}` },
    });
    expect(forged.status).toBe(401);
    expect(await forged.json()).toEqual({
      error: { code: 'unauthenticated', message: 'the API token is unknown or revoked' },
    });
  });

  it('pages through projects with a cursor', async () => {
    for (const n of [1, 2, 3])
      await post('/api/v1/projects', { name: `page/p${n}`, gitUrl: 'git@example.com:page.git' });
    const first = (await (await api('/api/v1/projects?limit=2')).json()) as {
      items: { name: string }[];
      nextCursor: number;
    };
    const second = (await (await api(`/api/v1/projects?limit=2&after=${first.nextCursor}`)).json()) as {
      items: { name: string }[];
      nextCursor: number | null;
    };
    expect([...first.items, ...second.items].map((p) => p.name)).toEqual(['acme/web', 'page/p1', 'page/p2', 'page/p3']);
    expect(second.nextCursor).toBeNull();
  });

  it('keeps project variables encrypted: the API shows names and last 4 characters, the database no plaintext', async () => {
    const plaintext = 'sk_live_51HyperSecretValue9876';
    const created = (await (
      await post('/api/v1/projects', { name: 'acme/vars', gitUrl: 'https://git.example.com/vars.git' })
    ).json()) as { id: number; webhookSecret: string };
    expect(
      (
        await api(`/api/v1/projects/${created.id}/variables/STRIPE_KEY`, {
          method: 'PUT',
          body: JSON.stringify({ value: plaintext }),
        })
      ).status,
    ).toBe(204);
    const listed = (await (await api(`/api/v1/projects/${created.id}/variables`)).json()) as { items: unknown[] };
    expect(listed.items).toEqual([{ name: 'STRIPE_KEY', last4: '9876', updatedAt: expect.any(String) }]);

    const pool = createDatabasePool(gyre.database.url, pino({ level: 'silent' }));
    const dump = await pool.query<{ t: string }>(
      "SELECT string_agg(t::text, '|') AS t FROM (SELECT p::text AS t FROM projects p UNION ALL SELECT v::text FROM project_variables v UNION ALL SELECT encode(value, 'escape') FROM project_variables UNION ALL SELECT encode(webhook_secret, 'escape') FROM projects) x",
    );
    await pool.end();
    expect(dump.rows[0]!.t).not.toContain(plaintext);
    expect(dump.rows[0]!.t).not.toContain(created.webhookSecret);
  });

  it('refuses a variable value holding a NUL character, which no shell could export', async () => {
    const created = (await (
      await post('/api/v1/projects', { name: 'acme/nul', gitUrl: 'https://git.example.com/nul.git' })
    ).json()) as { id: number };
    const response = await api(`/api/v1/projects/${created.id}/variables/BAD`, {
      method: 'PUT',
      body: JSON.stringify({ value: 'a\u0000b' }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { details: { input: string }[] } }).error.details[0]!.input).toBe(
      'body/value',
    );
  });

  it('deletes a project, after which it is gone', async () => {
    const created = (await (
      await post('/api/v1/projects', { name: 'acme/gone', gitUrl: 'https://git.example.com/gone.git' })
    ).json()) as { id: number };
    expect((await api(`/api/v1/projects/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    const response = await api(`/api/v1/projects/${created.id}`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: { code: 'not_found', message: `project ${created.id} does not exist` },
    });
  });

  it('audits every change of a project, its variables and members, never with a value or the git URL', async () => {
    const created = (await (
      await post('/api/v1/projects', { name: 'acme/audited', gitUrl: 'https://git.example.com/audited.git' })
    ).json()) as { id: number };
    const path = `/api/v1/projects/${created.id}`;
    const secretUrl = 'https://git.example.com/moved-audited.git';
    expect(
      (await api(path, { method: 'PATCH', body: JSON.stringify({ gitUrl: secretUrl, visibility: 'internal' }) }))
        .status,
    ).toBe(200);
    expect(
      (
        await api(`${path}/variables/TOKEN`, {
          method: 'PUT',
          body: JSON.stringify({ value: 'value-that-stays-secret' }),
        })
      ).status,
    ).toBe(204);
    expect((await api(`${path}/variables/TOKEN`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(path, { method: 'DELETE' })).status).toBe(204);

    const pool = createDatabasePool(gyre.database.url, pino({ level: 'silent' }));
    const entries = await pool.query<{ actor: string; action: string; detail: unknown }>(
      'SELECT actor, action, detail FROM audit_log WHERE target = $1 ORDER BY id',
      [`project:${created.id}`],
    );
    await pool.end();
    expect(entries.rows).toEqual([
      {
        actor: 'token:tests',
        action: 'project.create',
        detail: { name: 'acme/audited', visibility: 'private', repository: null },
      },
      { actor: 'token:tests', action: 'project.update', detail: { gitUrl: 'changed', visibility: 'internal' } },
      { actor: 'token:tests', action: 'project.variable_set', detail: { variable: 'TOKEN' } },
      { actor: 'token:tests', action: 'project.variable_remove', detail: { variable: 'TOKEN' } },
      { actor: 'token:tests', action: 'project.delete', detail: { name: 'acme/audited' } },
    ]);
    expect(JSON.stringify(entries.rows)).not.toContain('value-that-stays-secret');
    expect(JSON.stringify(entries.rows)).not.toContain(secretUrl);
  });

  it('publishes an OpenAPI document generated from the route schemas, covering every route', async () => {
    const response = await fetch(`${gyre.base}/api/v1/openapi.json`);
    expect(response.status).toBe(200);
    const doc = (await response.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { summary?: string; requestBody?: unknown }>>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/v1/accounts',
      '/api/v1/accounts/{id}',
      '/api/v1/accounts/{id}/admin',
      '/api/v1/backups',
      '/api/v1/builders',
      '/api/v1/builders/{id}/drain',
      '/api/v1/builders/{id}/revoke',
      '/api/v1/contexts',
      '/api/v1/contexts/{name}',
      '/api/v1/contexts/{name}/restrictions',
      '/api/v1/contexts/{name}/variables/{variable}',
      '/api/v1/deliveries',
      '/api/v1/deliveries/{id}',
      '/api/v1/deliveries/{id}/redeliver',
      '/api/v1/github/check',
      '/api/v1/groups',
      '/api/v1/groups/{name}',
      '/api/v1/groups/{name}/members/{login}',
      '/api/v1/jobs/{id}',
      '/api/v1/jobs/{id}/approve',
      '/api/v1/jobs/{id}/artifacts',
      '/api/v1/jobs/{id}/artifacts/{*}',
      '/api/v1/jobs/{id}/cancel',
      '/api/v1/jobs/{id}/log',
      '/api/v1/jobs/{id}/log/stream',
      '/api/v1/jobs/{id}/rerun',
      '/api/v1/jobs/{id}/tests',
      '/api/v1/join-secret',
      '/api/v1/join-secret/rotate',
      '/api/v1/orbs',
      '/api/v1/orbs/{namespace}/{name}/{version}',
      '/api/v1/pipelines/{id}',
      '/api/v1/pipelines/{id}/cancel',
      '/api/v1/pipelines/{id}/rerun',
      '/api/v1/pipelines/{id}/workflows',
      '/api/v1/projects',
      '/api/v1/projects/{id}',
      '/api/v1/projects/{id}/credential',
      '/api/v1/projects/{id}/docker-in-builds',
      '/api/v1/projects/{id}/members',
      '/api/v1/projects/{id}/members/{login}',
      '/api/v1/projects/{id}/pipelines',
      '/api/v1/projects/{id}/schedules',
      '/api/v1/projects/{id}/schedules/{name}',
      '/api/v1/projects/{id}/ssh-keys',
      '/api/v1/projects/{id}/ssh-keys/{fingerprint}',
      '/api/v1/projects/{id}/variables',
      '/api/v1/projects/{id}/variables/{name}',
      '/api/v1/queue',
      '/api/v1/settings/signup',
      '/api/v1/user/ssh-keys',
      '/api/v1/user/ssh-keys/{id}',
      '/api/v1/workflows/{id}/jobs',
      '/api/v1/workflows/{id}/rerun-failed',
      '/builder/v1/drain',
      '/builder/v1/heartbeat',
      '/builder/v1/jobs/{id}/ack',
      '/builder/v1/jobs/{id}/artifacts',
      '/builder/v1/jobs/{id}/caches/find',
      '/builder/v1/jobs/{id}/caches/{key}',
      '/builder/v1/jobs/{id}/complete',
      '/builder/v1/jobs/{id}/heartbeat',
      '/builder/v1/jobs/{id}/logs',
      '/builder/v1/jobs/{id}/ssh',
      '/builder/v1/jobs/{id}/steps',
      '/builder/v1/jobs/{id}/test-results',
      '/builder/v1/jobs/{id}/uploads',
      '/builder/v1/jobs/{id}/workspace',
      '/builder/v1/jobs/{id}/workspace/{digest}',
      '/builder/v1/join-secret/check',
      '/builder/v1/lease',
      '/builder/v1/register',
      '/healthz',
      '/webhooks/github',
    ]);
    const operations = Object.values(doc.paths).flatMap((methods) => Object.values(methods));
    expect(operations.filter((op) => op.summary === undefined)).toEqual([]);
    expect(doc.paths['/api/v1/projects']!['post']!.requestBody).toBeDefined();
  });
});
