import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { createDatabasePool, type Database } from '../../src/services/database/create-pool.js';
import { startServicesUnderTest, TEST_SECRETS, type ServicesUnderTest } from '../support/services-under-test.js';
import { WebClient } from '../support/web-client.js';

// GIVEN the real services app on a real PostgreSQL, where the operator made ada an administrator
// with `gyre accounts create --admin`, and bob signed up once the built-in admin opened sign-up.
let gyre: ServicesUnderTest;
let db: Database;
let ada: WebClient;

const userId = async (login: string) =>
  (await db.query<{ id: string }>('SELECT id FROM users WHERE login = $1', [login])).rows[0]?.id;
const isAdmin = async (login: string) =>
  (await db.query<{ is_admin: boolean }>('SELECT is_admin FROM users WHERE login = $1', [login])).rows[0]?.is_admin;
const audited = async (action: string) =>
  (
    await db.query<{ actor: string; target: string }>(
      'SELECT actor, target FROM audit_log WHERE action = $1 ORDER BY id',
      [action],
    )
  ).rows;

async function signIn(base: string, login: string, password: string): Promise<WebClient> {
  const browser = new WebClient(base);
  const answer = await browser.submit('/login', '/login', { login, password });
  expect([login, answer.status]).toEqual([login, 302]);
  return browser;
}

beforeAll(async () => {
  gyre = await startServicesUnderTest();
  db = createDatabasePool(gyre.database.url, pino({ level: 'silent' }));
  gyre.createAccount('ada', 'correct horse battery', { admin: true });
  await gyre.openSignup();
  expect(
    (await new WebClient(gyre.base).submit('/signup', '/signup', { login: 'bob', password: 'another long password' }))
      .status,
  ).toBe(302);
  ada = await signIn(gyre.services.addresses.admin, 'ada', 'correct horse battery');
}, 300_000);

afterAll(async () => {
  await db?.end();
  await gyre?.stop();
}, 120_000);

describe('the accounts page of the admin console', () => {
  it('lists every account with how it signs in and its role, and is not on the user port', async () => {
    const page = await (await ada.get('/accounts')).text();
    expect(page).toMatch(
      /ada <span class="muted">\(you\)<\/span><\/td>\s*<td>password<\/td>\s*<td>administrator<\/td>/,
    );
    expect(page).toMatch(/bob<\/td>\s*<td>password<\/td>\s*<td>user<\/td>/);
    expect(page).toContain('data-testid="signup-state">open<');
    expect((await new WebClient(gyre.base).get('/accounts')).status).toBe(404);
  });

  it('closes sign-up: the web UI stops offering it and refuses a new account, without creating one', async () => {
    expect((await ada.submit('/accounts', '/accounts/signup', { signup: 'closed' })).status).toBe(303);
    expect(await (await ada.get('/accounts')).text()).toContain('data-testid="signup-state">closed<');
    expect(await audited('settings.update')).toContainEqual({ actor: 'admin:ada', target: 'accounts.signup' });

    const stranger = new WebClient(gyre.base);
    expect(await (await stranger.get('/login')).text()).not.toContain('href="/signup"');
    const form = await stranger.get('/signup');
    expect(form.status).toBe(403);
    expect(await form.text()).toContain('ask an administrator to create your account');
    const before = await db.query('SELECT count(*)::int AS n FROM users');
    const refused = await stranger.submit('/login', '/signup', {
      login: 'mallory',
      password: 'a long enough password',
    });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('sign-up is closed');
    expect(stranger.cookie('gyre_session')).toBeUndefined();
    expect(await db.query('SELECT count(*)::int AS n FROM users')).toMatchObject({ rows: before.rows });
  });

  it('lets an administrator create an account while sign-up is closed, listing every problem with bad input at once', async () => {
    const bad = await ada.submit('/accounts', '/accounts', { login: '-carol', password: 'short' });
    expect(bad.status).toBe(400);
    const problems = await bad.text();
    expect(problems).toContain('login: must be 1-39 letters');
    expect(problems).toContain('password: must be at least 10 characters');
    expect(problems).toContain('value="-carol"');

    expect(
      (await ada.submit('/accounts', '/accounts', { login: 'carol', password: 'carols first password' })).status,
    ).toBe(303);
    await signIn(gyre.base, 'carol', 'carols first password');
    expect(await isAdmin('carol')).toBe(false);
    expect(
      (await ada.submit('/accounts', '/accounts', { login: 'erin', password: 'erins first password', admin: 'on' }))
        .status,
    ).toBe(303);
    expect(await isAdmin('erin')).toBe(true);
    expect(await audited('account.create')).toEqual([
      { actor: 'cli:gyre accounts create', target: 'ada' },
      { actor: 'admin:ada', target: 'carol' },
      { actor: 'admin:ada', target: 'erin' },
    ]);
    const taken = await ada.submit('/accounts', '/accounts', { login: 'Carol', password: 'another password!' });
    expect(taken.status).toBe(409);
    expect(await taken.text()).toContain('the login &quot;Carol&quot; is taken');
  });

  it('grants administrator rights, which open the console, and revokes them, which closes it at once', async () => {
    const bobId = await userId('bob');
    expect((await ada.submit('/accounts', `/accounts/${bobId}/admin`, { admin: 'grant' })).status).toBe(303);
    const bob = await signIn(gyre.services.addresses.admin, 'bob', 'another long password');
    expect((await bob.get('/fleet')).status).toBe(200);
    expect((await ada.submit('/accounts', `/accounts/${bobId}/admin`, { admin: 'revoke' })).status).toBe(303);
    expect(await isAdmin('bob')).toBe(false);
    expect((await bob.get('/fleet')).status).toBe(403);
    expect((await audited('account.grant_admin')).concat(await audited('account.revoke_admin'))).toEqual([
      { actor: 'admin:ada', target: 'bob' },
      { actor: 'admin:ada', target: 'bob' },
    ]);
  });

  it('never leaves the console without an administrator account, nor lets one demote or remove themselves', async () => {
    const adaId = await userId('ada');
    const self = await ada.submit('/accounts', `/accounts/${adaId}/admin`, { admin: 'revoke' });
    expect(self.status).toBe(409);
    expect(await self.text()).toContain('you cannot revoke your own administrator rights');
    expect((await ada.submit('/accounts', `/accounts/${adaId}/remove`, {})).status).toBe(409);

    // Ada becomes the last administrator account again.
    expect((await ada.submit('/accounts', `/accounts/${await userId('erin')}/remove`, {})).status).toBe(303);
    const builtIn = await signIn(gyre.services.addresses.admin, 'admin', TEST_SECRETS.GYRE_ADMIN_PASSWORD);
    const last = await builtIn.submit('/accounts', `/accounts/${adaId}/admin`, { admin: 'revoke' });
    expect(last.status).toBe(409);
    expect(await last.text()).toContain('cannot revoke the administrator rights of the last administrator account');
    expect((await builtIn.submit('/accounts', `/accounts/${adaId}/remove`, {})).status).toBe(409);
    expect(await isAdmin('ada')).toBe(true);
  });

  it("gives fleet actions through the API to administrators' tokens only, checked at each request", async () => {
    const bob = await signIn(gyre.base, 'bob', 'another long password');
    const created = await (await bob.submit('/tokens', '/tokens', { name: 'bobs script' })).text();
    const token = /gyre_pat_[A-Za-z0-9_-]{43}/.exec(created)![0];
    const api = (path: string, method = 'GET') =>
      fetch(`${gyre.base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(method === 'POST' && { body: '{}' }),
      });
    expect((await api('/api/v1/builders')).status).toBe(200);
    const refused = await api('/api/v1/join-secret/rotate', 'POST');
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain(
      'the API token "bobs script" belongs to an account that is not an administrator',
    );
    expect((await api('/api/v1/builders/1/revoke', 'POST')).status).toBe(403);

    const bobId = await userId('bob');
    expect((await ada.submit('/accounts', `/accounts/${bobId}/admin`, { admin: 'grant' })).status).toBe(303);
    expect((await api('/api/v1/join-secret/rotate', 'POST')).status).toBe(201);
    expect((await ada.submit('/accounts', `/accounts/${bobId}/admin`, { admin: 'revoke' })).status).toBe(303);
    expect((await api('/api/v1/join-secret/rotate', 'POST')).status).toBe(403);
    // The one rotation that happened is in the audit log, under the token's name.
    expect(await audited('join_secret.rotate')).toEqual([{ actor: 'token:bobs script', target: null }]);
  });

  it('removes an account: its sessions end and its login is free again', async () => {
    const carol = await signIn(gyre.base, 'carol', 'carols first password');
    expect((await carol.get('/')).status).toBe(200);
    const carolId = await userId('carol');
    expect((await ada.submit('/accounts', `/accounts/${carolId}/remove`, {})).status).toBe(303);
    expect(await userId('carol')).toBeUndefined();
    expect((await carol.get('/')).status).toBe(302);
    expect(await audited('account.remove')).toEqual([
      { actor: 'admin:ada', target: 'erin' },
      { actor: 'admin:ada', target: 'carol' },
    ]);
    const again = await ada.submit('/accounts', `/accounts/${carolId}/remove`, {});
    expect(again.status).toBe(404);
    expect(await again.text()).toContain(`account ${carolId} does not exist`);
  });

  it('opens sign-up again', async () => {
    expect((await ada.submit('/accounts', '/accounts/signup', { signup: 'open' })).status).toBe(303);
    expect(await (await new WebClient(gyre.base).get('/login')).text()).toContain('href="/signup"');
    expect(
      (await new WebClient(gyre.base).submit('/signup', '/signup', { login: 'dave', password: 'daves long password' }))
        .status,
    ).toBe(302);
  });
});

describe('the accounts API', () => {
  let call: (path: string, method?: string, body?: unknown) => Promise<Response>;

  beforeAll(async () => {
    const page = await (
      await (await signIn(gyre.base, 'ada', 'correct horse battery')).submit('/tokens', '/tokens', { name: 'ada ops' })
    ).text();
    const token = /gyre_pat_[A-Za-z0-9_-]{43}/.exec(page)![0];
    call = (path, method = 'GET', body) =>
      fetch(`${gyre.base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
  });

  it('lists, creates, promotes and removes accounts as the console does, audited under the token', async () => {
    const listed = (await (await call('/api/v1/accounts')).json()) as {
      items: { login: string; isAdmin: boolean; hasPassword: boolean }[];
    };
    expect(listed.items.find((a) => a.login === 'ada')).toMatchObject({ isAdmin: true, hasPassword: true });

    const bad = await call('/api/v1/accounts', 'POST', { login: '-frank', password: 'short' });
    expect(bad.status).toBe(400);
    expect(
      ((await bad.json()) as { error: { details: { input: string }[] } }).error.details.map((d) => d.input),
    ).toEqual(['login', 'password']);
    const created = await call('/api/v1/accounts', 'POST', { login: 'frank', password: 'franks long password' });
    expect(created.status).toBe(201);
    const frank = (await created.json()) as { id: number; isAdmin: boolean };
    expect(frank.isAdmin).toBe(false);

    expect(
      (
        (await (await call(`/api/v1/accounts/${frank.id}/admin`, 'PUT', { admin: true })).json()) as {
          isAdmin: boolean;
        }
      ).isAdmin,
    ).toBe(true);
    const self = await call(`/api/v1/accounts/${await userId('ada')}/admin`, 'PUT', { admin: false });
    expect(self.status).toBe(409);
    expect(await self.json()).toMatchObject({
      error: {
        message: 'a token cannot revoke the administrator rights of its own account; another administrator can',
      },
    });

    expect((await call(`/api/v1/accounts/${frank.id}`, 'DELETE')).status).toBe(200);
    expect((await call(`/api/v1/accounts/${frank.id}`, 'DELETE')).status).toBe(404);
    const entries = await db.query<{ action: string }>(
      "SELECT action FROM audit_log WHERE actor = 'token:ada ops' ORDER BY id",
    );
    expect(entries.rows.map((r) => r.action)).toEqual(['account.create', 'account.grant_admin', 'account.remove']);
  });

  it('opens and closes sign-up', async () => {
    expect(await (await call('/api/v1/settings/signup', 'PUT', { signup: 'closed' })).json()).toEqual({
      signup: 'closed',
    });
    expect(await (await call('/api/v1/settings/signup')).json()).toEqual({ signup: 'closed' });
    expect((await new WebClient(gyre.base).get('/signup')).status).toBe(403);
    expect((await call('/api/v1/settings/signup', 'PUT', { signup: 'ajar' })).status).toBe(400);
    expect(await (await call('/api/v1/settings/signup', 'PUT', { signup: 'open' })).json()).toEqual({ signup: 'open' });
  });

  it('refuses a token of an account that is not an administrator', async () => {
    const page = await (
      await (
        await signIn(gyre.base, 'bob', 'another long password')
      ).submit('/tokens', '/tokens', { name: 'bob reads' })
    ).text();
    const token = /gyre_pat_[A-Za-z0-9_-]{43}/.exec(page)![0];
    expect(
      (await fetch(`${gyre.base}/api/v1/accounts`, { headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(403);
  });
});
