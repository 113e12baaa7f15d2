import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { createDatabasePool, type Database } from '../../src/services/database/create-pool.js';
import type { PolicedRoute, RoutePolicy } from '../../src/services/http/access-policy.js';
import { createApiToken } from '../../src/services/stores/accounts/api-tokens.js';
import { allows, type ProjectRole } from '../../src/services/core/access/project-roles.js';
import { deliverWebhook } from '../support/github-examples.js';
import { seedWorkflow } from '../support/seed-jobs.js';
import { startServicesUnderTest, TEST_SECRETS, type ServicesUnderTest } from '../support/services-under-test.js';
import { SimulatedBuilder } from '../support/simulated-builder.js';
import { MemoryBlobStore } from '../support/memory-blob-store.js';
import { ArtifactStore } from '../../src/services/stores/artifacts/artifact-store.js';
import { WebClient } from '../support/web-client.js';

// GIVEN the real services app on a real PostgreSQL, a private project that maya created (so she is
// its maintainer) and where she made vera a viewer and mike a member, nora who has no role in it,
// ada an administrator, and in the project a pipeline whose job ran and stored an artifact, a
// variable and a delivery.
// WHEN every route the app registered is called as each of them, and as a stranger,
// THEN each answers as its declared policy says: 401 (or the sign-in page), 404 for a project the
// caller may not see, 403 for a role too small, and otherwise lets the request through to its handler.

type Persona = 'anonymous' | 'non-member' | ProjectRole | 'administrator';
const PERSONAS: readonly Persona[] = ['anonymous', 'non-member', 'viewer', 'member', 'maintainer', 'administrator'];
const LOGINS: Readonly<Record<Exclude<Persona, 'anonymous'>, string>> = {
  'non-member': 'nora',
  viewer: 'vera',
  member: 'mike',
  maintainer: 'maya',
  administrator: 'ada',
};
const PASSWORD = 'a long enough password';

/**
 * Who may call each route, as reviewed. The app's declared policies must equal this table: a new
 * route, or a changed policy, fails here until someone reviews it and changes the table too.
 */
const REVIEWED: Readonly<Record<'user' | 'admin', Readonly<Record<string, string>>>> = {
  user: {
    'GET /api/v1/openapi.json': 'public',
    'GET /assets/:name': 'public',
    'GET /auth/github': 'public',
    'GET /auth/github/start': 'public',
    'GET /healthz': 'public',
    'GET /login': 'public',
    'GET /signup': 'public',
    'POST /login': 'public',
    'POST /logout': 'public',
    'POST /signup': 'public',
    'POST /webhooks/github': 'public',
    'POST /builder/v1/register': 'builder',
    'POST /builder/v1/join-secret/check': 'builder',
    'POST /builder/v1/lease': 'builder',
    'POST /builder/v1/heartbeat': 'builder',
    'POST /builder/v1/drain': 'builder',
    'POST /builder/v1/jobs/:id/ack': 'builder',
    'POST /builder/v1/jobs/:id/heartbeat': 'builder',
    'POST /builder/v1/jobs/:id/steps': 'builder',
    'PUT /builder/v1/jobs/:id/logs': 'builder',
    // Data steps' transfers: the builder's credential and, checked in each handler, the job's current lease.
    'POST /builder/v1/jobs/:id/uploads': 'builder',
    'POST /builder/v1/jobs/:id/caches/find': 'builder',
    'GET /builder/v1/jobs/:id/caches/:key': 'builder',
    'PUT /builder/v1/jobs/:id/caches/:key': 'builder',
    'GET /builder/v1/jobs/:id/workspace': 'builder',
    'PUT /builder/v1/jobs/:id/workspace': 'builder',
    'GET /builder/v1/jobs/:id/workspace/:digest': 'builder',
    'PUT /builder/v1/jobs/:id/artifacts': 'builder',
    'PUT /builder/v1/jobs/:id/test-results': 'builder',
    'POST /builder/v1/jobs/:id/ssh': 'builder',
    'POST /builder/v1/jobs/:id/complete': 'builder',
    'POST /api/v1/projects': 'signed-in',
    'GET /api/v1/projects': 'signed-in',
    'GET /api/v1/projects/:id': 'viewer of project',
    'PATCH /api/v1/projects/:id': 'maintainer of project',
    'DELETE /api/v1/projects/:id': 'maintainer of project',
    'GET /api/v1/projects/:id/variables': 'maintainer of project',
    'PUT /api/v1/projects/:id/variables/:name': 'maintainer of project',
    'DELETE /api/v1/projects/:id/variables/:name': 'maintainer of project',
    'GET /api/v1/projects/:id/credential': 'maintainer of project',
    'PUT /api/v1/projects/:id/credential': 'maintainer of project',
    'DELETE /api/v1/projects/:id/credential': 'maintainer of project',
    // Members see fingerprints, hosts and public halves (configs name keys by fingerprint); never a private key.
    'GET /api/v1/projects/:id/ssh-keys': 'member of project',
    'POST /api/v1/projects/:id/ssh-keys': 'maintainer of project',
    'DELETE /api/v1/projects/:id/ssh-keys/:fingerprint': 'maintainer of project',
    'PUT /api/v1/projects/:id/docker-in-builds': 'admin',
    'GET /api/v1/projects/:id/members': 'viewer of project',
    'PUT /api/v1/projects/:id/members/:login': 'maintainer of project',
    'DELETE /api/v1/projects/:id/members/:login': 'maintainer of project',
    'GET /api/v1/projects/:id/pipelines': 'viewer of project',
    'POST /api/v1/projects/:id/pipelines': 'member of project',
    'GET /api/v1/projects/:id/schedules': 'viewer of project',
    'PUT /api/v1/projects/:id/schedules/:name': 'maintainer of project',
    'DELETE /api/v1/projects/:id/schedules/:name': 'maintainer of project',
    'GET /api/v1/pipelines/:id': 'viewer of pipeline',
    'POST /api/v1/pipelines/:id/cancel': 'member of pipeline',
    'POST /api/v1/pipelines/:id/rerun': 'member of pipeline',
    'GET /api/v1/pipelines/:id/workflows': 'viewer of pipeline',
    'GET /api/v1/workflows/:id/jobs': 'viewer of workflow',
    'GET /api/v1/jobs/:id': 'viewer of job',
    'POST /api/v1/jobs/:id/approve': 'member of job',
    'POST /api/v1/jobs/:id/cancel': 'member of job',
    'POST /api/v1/jobs/:id/rerun': 'member of job',
    'POST /api/v1/workflows/:id/rerun-failed': 'member of workflow',
    'GET /api/v1/jobs/:id/artifacts': 'viewer of job',
    'GET /api/v1/jobs/:id/artifacts/*': 'viewer of job',
    'GET /api/v1/jobs/:id/log': 'viewer of job',
    'GET /api/v1/jobs/:id/log/stream': 'viewer of job',
    'GET /api/v1/jobs/:id/tests': 'viewer of job',
    'GET /api/v1/deliveries': 'admin',
    'GET /api/v1/deliveries/:id': 'viewer of delivery',
    'POST /api/v1/deliveries/:id/redeliver': 'maintainer of delivery',
    'GET /api/v1/builders': 'signed-in',
    'POST /api/v1/builders/:id/drain': 'admin',
    'DELETE /api/v1/builders/:id/drain': 'admin',
    'POST /api/v1/builders/:id/revoke': 'admin',
    'POST /api/v1/join-secret/rotate': 'admin',
    'GET /api/v1/backups': 'admin',
    'GET /api/v1/join-secret': 'admin',
    'GET /api/v1/github/check': 'admin',
    'GET /api/v1/user/ssh-keys': 'signed-in',
    'POST /api/v1/user/ssh-keys': 'signed-in',
    'DELETE /api/v1/user/ssh-keys/:id': 'signed-in',
    'GET /api/v1/queue': 'signed-in',
    'GET /api/v1/accounts': 'admin',
    'POST /api/v1/accounts': 'admin',
    'PUT /api/v1/accounts/:id/admin': 'admin',
    'DELETE /api/v1/accounts/:id': 'admin',
    'GET /api/v1/settings/signup': 'admin',
    'PUT /api/v1/settings/signup': 'admin',
    'GET /api/v1/contexts': 'admin',
    'POST /api/v1/contexts': 'admin',
    'GET /api/v1/contexts/:name': 'admin',
    'DELETE /api/v1/contexts/:name': 'admin',
    'PUT /api/v1/contexts/:name/restrictions': 'admin',
    'PUT /api/v1/contexts/:name/variables/:variable': 'admin',
    'DELETE /api/v1/contexts/:name/variables/:variable': 'admin',
    'GET /api/v1/groups': 'admin',
    'POST /api/v1/groups': 'admin',
    'DELETE /api/v1/groups/:name': 'admin',
    'PUT /api/v1/groups/:name/members/:login': 'admin',
    'DELETE /api/v1/groups/:name/members/:login': 'admin',
    'GET /api/v1/orbs': 'signed-in',
    'GET /api/v1/orbs/:namespace/:name/:version': 'signed-in',
    'PUT /api/v1/orbs/:namespace/:name/:version': 'admin',
    'DELETE /api/v1/orbs/:namespace/:name/:version': 'admin',
    'GET /': 'signed-in',
    'GET /projects/new': 'signed-in',
    'POST /projects/new': 'signed-in',
    'GET /projects/:id': 'viewer of project',
    'GET /projects/:id/schedules': 'viewer of project',
    'POST /projects/:id/schedules': 'maintainer of project',
    'POST /projects/:id/schedules/:name/remove': 'maintainer of project',
    'POST /projects/:id/pipelines': 'member of project',
    'GET /projects/:id/settings': 'maintainer of project',
    'POST /projects/:id/settings': 'maintainer of project',
    'POST /projects/:id/credential': 'maintainer of project',
    'POST /projects/:id/credential/remove': 'maintainer of project',
    'POST /projects/:id/ssh-keys': 'maintainer of project',
    'POST /projects/:id/ssh-keys/remove': 'maintainer of project',
    'GET /projects/:id/variables': 'maintainer of project',
    'POST /projects/:id/variables': 'maintainer of project',
    'POST /projects/:id/variables/:name/remove': 'maintainer of project',
    'GET /projects/:id/members': 'viewer of project',
    'POST /projects/:id/members': 'maintainer of project',
    'POST /projects/:id/members/:login/remove': 'maintainer of project',
    'GET /projects/:id/deliveries': 'viewer of project',
    'POST /deliveries/:id/redeliver': 'maintainer of delivery',
    'GET /projects/:id/delete': 'maintainer of project',
    'POST /projects/:id/delete': 'maintainer of project',
    'GET /pipelines/:id': 'viewer of pipeline',
    'GET /pipelines/:id/status.json': 'viewer of pipeline',
    'POST /pipelines/:id/cancel': 'member of pipeline',
    'POST /pipelines/:id/rerun': 'member of pipeline',
    'GET /jobs/:id': 'viewer of job',
    'POST /jobs/:id/cancel': 'member of job',
    'POST /jobs/:id/approve': 'member of job',
    'POST /jobs/:id/rerun': 'member of job',
    'POST /jobs/:id/rerun-with-ssh': 'member of job',
    'POST /workflows/:id/rerun-failed': 'member of workflow',
    'GET /jobs/:id/log/stream': 'viewer of job',
    'GET /jobs/:id/log.txt': 'viewer of job',
    'GET /jobs/:id/artifacts/*': 'viewer of job',
    'GET /builders': 'signed-in',
    'GET /tokens': 'signed-in',
    'POST /tokens': 'signed-in',
    'GET /ssh-keys': 'signed-in',
    'POST /ssh-keys': 'signed-in',
    'POST /ssh-keys/:id/remove': 'signed-in',
    'POST /tokens/:id/revoke': 'signed-in',
  },
  admin: {
    'GET /assets/:name': 'public',
    'GET /healthz': 'public',
    'GET /login': 'public',
    'POST /login': 'public',
    'POST /logout': 'public',
    'GET /': 'admin',
    'GET /fleet': 'admin',
    'POST /fleet/:id/drain': 'admin',
    'POST /fleet/:id/cancel-drain': 'admin',
    'POST /fleet/:id/revoke': 'admin',
    'GET /queue': 'admin',
    'GET /projects': 'admin',
    'POST /projects/:id/docker-in-builds': 'admin',
    'GET /accounts': 'admin',
    'GET /contexts': 'admin',
    'POST /contexts': 'admin',
    'GET /contexts/:name': 'admin',
    'POST /contexts/:name/variables': 'admin',
    'POST /contexts/:name/variables/:item/remove': 'admin',
    'POST /contexts/:name/restrictions': 'admin',
    'POST /contexts/:name/delete': 'admin',
    'POST /groups': 'admin',
    'POST /groups/:name/members': 'admin',
    'POST /groups/:name/members/:item/remove': 'admin',
    'POST /groups/:name/delete': 'admin',
    'GET /orbs': 'admin',
    'POST /orbs': 'admin',
    'POST /orbs/:namespace/:name/:version/remove': 'admin',
    'POST /accounts': 'admin',
    'POST /accounts/signup': 'admin',
    'POST /accounts/:id/admin': 'admin',
    'POST /accounts/:id/remove': 'admin',
    'GET /settings': 'admin',
    'POST /settings/join-secret': 'admin',
    'POST /settings/webhooks': 'admin',
    'POST /settings/resource-classes': 'admin',
    'POST /settings/github': 'admin',
    'GET /audit': 'admin',
    'GET /backups': 'admin',
  },
};
const summaryOf = (policy: RoutePolicy) =>
  policy.access === 'project' ? `${policy.role} of ${policy.of}` : policy.access;

let gyre: ServicesUnderTest;
let db: Database;
const tokens = new Map<Persona, string>();
const sessions = new Map<Persona, WebClient>();
/** The admin console's sessions: ada's, and fred's, whose administrator rights were revoked after he signed in. */
let adaConsole: WebClient;
let fredConsole: WebClient;
/** The ids that `:id` stands for, by what the route's policy says it names. */
const ids = { project: 0, pipeline: 0, workflow: 0, job: 0, delivery: 0, account: 0, builder: 0, token: 0 };
/** The path that `*` stands for: the job's artifact. */
const ARTIFACT_PATH = 'reports/index.html';
const blobs = new MemoryBlobStore();

beforeAll(async () => {
  gyre = await startServicesUnderTest({ blobs });
  db = createDatabasePool(gyre.database.url, pino({ level: 'silent' }));
  for (const [persona, login] of Object.entries(LOGINS)) {
    gyre.createAccount(login, PASSWORD, { admin: persona === 'administrator' });
    const id = Number((await db.query<{ id: string }>('SELECT id FROM users WHERE login = $1', [login])).rows[0]!.id);
    tokens.set(persona as Persona, (await createApiToken(db, `${login}'s token`, id)).token);
    const browser = new WebClient(gyre.base);
    expect((await browser.submit('/login', '/login', { login, password: PASSWORD })).status).toBe(302);
    sessions.set(persona as Persona, browser);
  }
  sessions.set('anonymous', new WebClient(gyre.base));
  ids.account = Number((await db.query<{ id: string }>("SELECT id FROM users WHERE login = 'nora'")).rows[0]!.id);
  ids.token = Number(
    (await db.query<{ id: string }>("SELECT id FROM api_tokens WHERE name = 'nora''s token'")).rows[0]!.id,
  );

  const asMaya = (path: string, method: string, body?: unknown) =>
    fetch(`${gyre.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${tokens.get('maintainer')}`, 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  const created = await asMaya('/api/v1/projects', 'POST', { name: 'acme/private', gitUrl: 'git://127.0.0.1:1/x.git' });
  expect(created.status).toBe(201);
  const project = (await created.json()) as { id: number; webhookSecret: string; visibility: string };
  expect(project.visibility).toBe('private');
  ids.project = project.id;
  for (const [login, role] of [
    ['vera', 'viewer'],
    ['mike', 'member'],
  ])
    expect((await asMaya(`/api/v1/projects/${ids.project}/members/${login}`, 'PUT', { role })).status).toBe(200);
  expect((await asMaya(`/api/v1/projects/${ids.project}/variables/SECRET_ONE`, 'PUT', { value: 'v' })).status).toBe(
    204,
  );
  const credential = { kind: 'token', token: 'policy-token-0123' };
  expect((await asMaya(`/api/v1/projects/${ids.project}/credential`, 'PUT', credential)).status).toBe(200);

  // A context for the contexts routes' `:name`.
  const context = await fetch(`${gyre.base}/api/v1/contexts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gyre.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'SECRET_ONE' }),
  });
  expect(context.status).toBe(201);
  // An orb for the orb routes' `:namespace/:name/:version`.
  const orb = await fetch(`${gyre.base}/api/v1/orbs/${ORB}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${gyre.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ yaml: 'version: 2.1\ncommands:\n  hello: { steps: [checkout] }\n' }),
  });
  expect(orb.status).toBe(201);

  const seeded = await seedWorkflow(db, ids.project, [{ name: 'build' }]);
  ids.pipeline = seeded.pipelineId;
  ids.workflow = seeded.workflowId;
  const builder = await SimulatedBuilder.join(gyre.base, TEST_SECRETS.GYRE_JOIN_SECRET, { name: 'policy-builder' });
  ids.builder = builder.id;
  const [lease] = (await builder.lease(1)).leases;
  ids.job = lease!.jobId;
  await builder.run(lease!);
  await new ArtifactStore(db).add(ids.job, lease!.attempt, {
    path: ARTIFACT_PATH,
    blob: await blobs.putBytes('<h1>report</h1>'),
    contentType: 'text/html; charset=utf-8',
  });

  const ping = await deliverWebhook(
    `${gyre.base}/webhooks/github?project=${ids.project}`,
    Buffer.from(JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 })),
    project.webhookSecret,
    { event: 'ping' },
  );
  expect(ping.status).toBe(200);
  ids.delivery = Number((await db.query<{ id: string }>('SELECT max(id) AS id FROM webhook_deliveries')).rows[0]!.id);

  const admin = gyre.services.addresses.admin;
  adaConsole = new WebClient(admin);
  expect((await adaConsole.submit('/login', '/login', { login: 'ada', password: PASSWORD })).status).toBe(302);
  gyre.createAccount('fred', PASSWORD, { admin: true });
  fredConsole = new WebClient(admin);
  expect((await fredConsole.submit('/login', '/login', { login: 'fred', password: PASSWORD })).status).toBe(302);
  const fred = (await db.query<{ id: string }>("SELECT id FROM users WHERE login = 'fred'")).rows[0]!.id;
  const revoked = await fetch(`${gyre.base}/api/v1/accounts/${fred}/admin`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${gyre.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ admin: false }),
  });
  expect(revoked.status).toBe(200);
}, 300_000);

afterAll(async () => {
  await db?.end();
  await gyre?.stop();
}, 120_000);

/** What a persona must get: through to the handler, or one of the policy's refusals. */
type Expected = 'through' | 'sign-in' | 401 | 403 | 404;

function expected(route: PolicedRoute, page: boolean, persona: Persona): Expected {
  const policy = route.policy;
  if (persona === 'anonymous')
    return policy.access === 'builder' || !page || route.method !== 'GET' || route.data ? 401 : 'sign-in';
  switch (policy.access) {
    case 'public':
      return 'through';
    case 'builder':
      return 401;
    case 'signed-in':
      return 'through';
    case 'admin':
      return persona === 'administrator' ? 'through' : 403;
    case 'project':
      if (persona === 'administrator') return 'through';
      if (persona === 'non-member') return 404;
      return allows(persona, policy.role) ? 'through' : 403;
  }
}

/** The orb version the orb routes name. */
const ORB = 'acme/policy/1.0.0';

/** The route's address with each parameter filled in with something that exists. */
function addressOf(route: PolicedRoute): string {
  const idFor = (policy: RoutePolicy): number => {
    if (policy.access === 'project') return ids[policy.of];
    if (route.url.startsWith('/builder/')) return ids.job;
    if (route.url.includes('/builders/') || route.url.startsWith('/fleet/')) return ids.builder;
    if (route.url.includes('/accounts/')) return ids.account;
    if (route.url.startsWith('/tokens/')) return ids.token;
    // The caller's own SSH keys: one that is not theirs is not found, after the policy let them through.
    if (route.url.includes('/ssh-keys/:id')) return ids.token;
    // Administrators' routes of a project (its Docker in builds grant).
    if (route.url.includes('/projects/:id')) return ids.project;
    throw new Error(`no id for ${route.method} ${route.url}`);
  };
  return route.url
    .replace(':namespace/:name/:version', ORB)
    .replace(':id', () => String(idFor(route.policy)))
    .replace(':login', 'vera')
    .replace(':fingerprint', encodeURIComponent('SHA256:brLzjWArD8EsdtcC2v5MUeFHVA8QtaLhYlyOo/TgWRQ'))
    .replace(':name', 'SECRET_ONE')
    .replace(':variable', 'SECRET_ONE')
    .replace(':item', 'SECRET_ONE')
    .replace('*', ARTIFACT_PATH);
}

/** Calls the route as the persona: with its API token on the API, its session on pages. */
async function call(route: PolicedRoute, page: boolean, client: WebClient | undefined, token: string | undefined) {
  const path = addressOf(route);
  const controller = new AbortController();
  let response: Response;
  if (page) {
    // A form without its CSRF token: a handler that is reached refuses it first, and changes nothing.
    response = route.method === 'GET' ? await client!.get(path) : await client!.post(path, {});
  } else {
    response = await fetch(`${gyre.base}${path}`, {
      method: route.method,
      redirect: 'manual',
      signal: controller.signal,
      headers: {
        ...(token !== undefined && { authorization: `Bearer ${token}` }),
        // Unreadable JSON: a request that gets through is refused by the body parser, and changes nothing.
        ...(route.method !== 'GET' && { 'content-type': 'application/json' }),
      },
      ...(route.method !== 'GET' && { body: '{' }),
    });
  }
  const streaming = (response.headers.get('content-type') ?? '').startsWith('text/event-stream');
  const text = streaming ? '' : await response.text();
  controller.abort();
  return { status: response.status, location: response.headers.get('location'), text };
}

function check(
  answer: { status: number; location: string | null; text: string },
  want: Expected,
  page: boolean,
  method: string,
) {
  switch (want) {
    case 'sign-in':
      return answer.status === 302 && (answer.location ?? '').startsWith('/login?next=');
    case 401:
    case 404:
      return answer.status === want;
    case 403:
      return answer.status === 403 && !answer.text.includes('security token');
    case 'through':
      if (!page && method !== 'GET')
        return answer.status === 400 && answer.text.includes('fst_err_ctp_invalid_json_body');
      if (page && method !== 'GET') return answer.status === 403 && answer.text.includes('security token');
      return answer.status < 400;
  }
}

const isPage = (listener: 'user' | 'admin', route: PolicedRoute) =>
  listener === 'admin' || !/^\/(api|builder|webhooks|healthz)\b/.test(route.url);
const key = (route: PolicedRoute) => `${route.method} ${route.url}`;
const routesOf = (listener: 'user' | 'admin') => gyre.services.routes[listener].filter((r) => r.method !== 'HEAD');

describe('every route declares who may call it', () => {
  it('declares for each route the policy reviewed above, and says why each public route is public', () => {
    for (const listener of ['user', 'admin'] as const) {
      const declared = Object.fromEntries(routesOf(listener).map((route) => [key(route), summaryOf(route.policy)]));
      expect(declared).toEqual(REVIEWED[listener]);
      for (const route of routesOf(listener).filter((r) => r.policy.access === 'public'))
        expect(route.policy).toEqual({ access: 'public', why: expect.stringMatching(/^.{20,}$/) });
    }
  });

  it('answers each route of the user port as its policy says, for a stranger and each role', async () => {
    const wrong: string[] = [];
    for (const route of routesOf('user')) {
      if (route.policy.access === 'public') continue;
      const page = isPage('user', route);
      for (const persona of PERSONAS) {
        const want = expected(route, page, persona);
        const answer = await call(route, page, sessions.get(persona), tokens.get(persona));
        if (!check(answer, want, page, route.method))
          wrong.push(`${key(route)} as ${persona}: wanted ${want}, got ${answer.status} ${answer.text.slice(0, 160)}`);
      }
    }
    expect(wrong).toEqual([]);
  }, 300_000);

  it("keeps a project's last maintainer: it can be neither demoted nor removed", async () => {
    const asMaya = (method: string, body?: unknown) =>
      fetch(`${gyre.base}/api/v1/projects/${ids.project}/members/maya`, {
        method,
        headers: {
          authorization: `Bearer ${tokens.get('maintainer')}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    for (const answer of [await asMaya('PUT', { role: 'viewer' }), await asMaya('DELETE')])
      expect({ status: answer.status, body: await answer.json() }).toEqual({
        status: 409,
        body: {
          error: {
            code: 'conflict',
            message: "maya is the project's last maintainer; make another member a maintainer first",
          },
        },
      });
  });

  it('answers each route of the admin console: strangers sign in, a former administrator is refused, an administrator gets through', async () => {
    const wrong: string[] = [];
    for (const route of routesOf('admin')) {
      if (route.policy.access === 'public') continue;
      expect(route.policy).toEqual({ access: 'admin' });
      for (const [who, client, want] of [
        ['anonymous', new WebClient(gyre.services.addresses.admin), route.method === 'GET' ? 'sign-in' : 401],
        ['fred, no longer an administrator', fredConsole, 403],
        ['ada', adaConsole, 'through'],
      ] as const) {
        const answer = await call(route, true, client, undefined);
        if (!check(answer, want, true, route.method))
          wrong.push(`${key(route)} as ${who}: wanted ${want}, got ${answer.status} ${answer.text.slice(0, 160)}`);
      }
    }
    expect(wrong).toEqual([]);
  }, 120_000);
});
