import { describe, expect, it } from '@jest/globals';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Caller, ProjectLocator, ProjectRole } from '../../../../src/services/core/access/project-roles.js';
import {
  ADMIN_ONLY,
  projectRole,
  registerAccessPolicy,
  SIGNED_IN,
  type PolicedRoute,
} from '../../../../src/services/http/access-policy.js';
import { registerErrorShape } from '../../../../src/services/http/error-shape.js';

/** Who the fake token in the `x-who` header stands for. */
const CALLERS: Readonly<Record<string, Caller>> = {
  ada: { userId: 1, admin: true, name: 'ada' },
  vera: { userId: 2, admin: false, name: 'vera' },
  nora: { userId: 3, admin: false, name: 'nora' },
};

/** Project 7 exists; vera is its viewer (until `veraRemoved`); nobody else has a role. */
const roles = {
  asked: [] as string[],
  veraRemoved: false,
  roleIn(caller: Caller, of: ProjectLocator, id: number): Promise<ProjectRole | undefined> {
    this.asked.push(`user ${caller.userId} ${of} ${id}`);
    if (id !== 7) return Promise.resolve(undefined);
    if (caller.admin) return Promise.resolve('maintainer');
    return Promise.resolve(caller.userId === 2 && !this.veraRemoved ? 'viewer' : undefined);
  },
};

function appWith(register: (app: FastifyInstance) => void, table: PolicedRoute[] = []): FastifyInstance {
  const app: FastifyInstance = Fastify();
  registerErrorShape(app);
  // Stands in for the token check of the API scope: it names the caller, or leaves it unknown.
  app.addHook('onRequest', (request: FastifyRequest, _reply, done) => {
    const who = CALLERS[String(request.headers['x-who'])];
    if (who) request.identity = { tokenId: 1, name: who.name, admin: who.admin, userId: who.userId, login: null };
    done();
  });
  registerAccessPolicy(app, roles, table);
  register(app);
  return app;
}

describe('the route access policy', () => {
  it('refuses to register a route that declares no policy, naming it', () => {
    expect(() => appWith((a) => a.get('/forgotten', () => 'open'))).toThrow(
      /GET \/forgotten declares no access policy/,
    );
  });

  it('lets a lasting answer ask again whether the caller still has the role', async () => {
    let check: (() => Promise<boolean>) | undefined;
    const app = appWith((a) =>
      a.get('/jobs/:id/log/stream', { config: projectRole('viewer', 'job') }, (request) => {
        check = request.stillAllowed;
        return 'streaming';
      }),
    );
    expect((await app.inject({ url: '/jobs/7/log/stream', headers: { 'x-who': 'vera' } })).body).toBe('streaming');
    expect(await check!()).toBe(true);
    roles.veraRemoved = true;
    try {
      expect(await check!()).toBe(false);
    } finally {
      roles.veraRemoved = false;
    }
  });

  it('lists every route with its policy', async () => {
    const table: PolicedRoute[] = [];
    const app = appWith((a) => a.get('/mine', { config: SIGNED_IN }, () => 'ok'), table);
    await app.ready();
    expect(table.map((r) => `${r.method} ${r.url} ${r.policy.access}`)).toEqual([
      'GET /mine signed-in',
      'HEAD /mine signed-in',
    ]);
  });

  it('answers 401 to a stranger, 403 to a caller who is not an administrator, and lets an administrator through', async () => {
    const app = appWith((a) => a.post('/admin', { config: ADMIN_ONLY }, () => 'done'));
    const as = (who?: string) => app.inject({ method: 'POST', url: '/admin', headers: who ? { 'x-who': who } : {} });
    expect((await as()).statusCode).toBe(401);
    const refused = await as('vera');
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ error: { message: expect.stringContaining('not an administrator') } });
    expect((await as('ada')).body).toBe('done');
  });

  it('answers 404 alike for a project that does not exist and one the caller may not see, 403 for too small a role', async () => {
    roles.asked.length = 0;
    const app = appWith((a) => {
      a.get('/projects/:id', { config: projectRole('viewer', 'project') }, () => 'seen');
      a.post('/projects/:id/pipelines', { config: projectRole('member', 'project') }, () => 'triggered');
    });
    const get = (id: number, who: string) =>
      app.inject({ method: 'GET', url: `/projects/${id}`, headers: { 'x-who': who } });
    const hidden = await get(7, 'nora');
    const missing = await get(8, 'nora');
    expect([hidden.statusCode, missing.statusCode]).toEqual([404, 404]);
    expect(hidden.json()).toEqual({ error: { code: 'not_found', message: 'project 7 does not exist' } });
    expect(missing.json()).toEqual({ error: { code: 'not_found', message: 'project 8 does not exist' } });
    expect((await get(7, 'vera')).body).toBe('seen');
    const trigger = await app.inject({ method: 'POST', url: '/projects/7/pipelines', headers: { 'x-who': 'vera' } });
    expect(trigger.statusCode).toBe(403);
    expect(trigger.json()).toMatchObject({
      error: {
        message: expect.stringContaining(
          'the API token "vera" has the role viewer in this project; this needs member or more',
        ),
      },
    });
    expect((await app.inject({ method: 'POST', url: '/projects/7/pipelines', headers: { 'x-who': 'ada' } })).body).toBe(
      'triggered',
    );
    expect(roles.asked).toEqual([
      'user 3 project 7',
      'user 3 project 8',
      'user 2 project 7',
      'user 2 project 7',
      'user 1 project 7',
    ]);
  });

  it('checks before the body is read, so a refused caller cannot make the app parse one', async () => {
    const app = appWith((a) =>
      a.post('/projects/:id/pipelines', { config: projectRole('member', 'project') }, () => 'x'),
    );
    const answer = await app.inject({
      method: 'POST',
      url: '/projects/7/pipelines',
      headers: { 'x-who': 'nora', 'content-type': 'application/json' },
      payload: '{ not json',
    });
    expect(answer.statusCode).toBe(404);
  });
});
