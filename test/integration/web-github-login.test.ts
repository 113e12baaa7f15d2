import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { startGitHubDouble, type GitHubDouble } from '../support/github-double.js';
import { startServicesUnderTest, type ServicesUnderTest } from '../support/services-under-test.js';
import { useGitHubDouble } from '../support/github-app.js';
import { WebClient } from '../support/web-client.js';

// GIVEN the real services app with no account yet and sign-up closed, as on a new install, and a test double of GitHub's OAuth and REST
// endpoints (GitHub Enterprise layout: the API under /api/v3), set as the GitHub app by the
// built-in administrator in the admin console.
let gyre: ServicesUnderTest;
let github: GitHubDouble;
let admin: WebClient;

beforeAll(async () => {
  [gyre, github] = await Promise.all([startServicesUnderTest(), startGitHubDouble()]);
  admin = await useGitHubDouble(gyre, github);
}, 300_000);

afterAll(async () => {
  await Promise.all([gyre?.stop(), github?.stop()]);
}, 120_000);

/** Follows the OAuth round trip as a browser would: Gyre → GitHub's authorize → Gyre's callback. */
async function signInWithGitHub(browser: WebClient): Promise<Response> {
  const start = await browser.get('/auth/github/start?next=%2Fbuilders');
  expect(start.status).toBe(302);
  const authorize = new URL(start.headers.get('location')!);
  expect(authorize.origin + authorize.pathname).toBe(`${github.baseUrl}/login/oauth/authorize`);
  expect(authorize.searchParams.get('redirect_uri')).toMatch(/\/auth\/github$/);
  const approved = await fetch(authorize, { redirect: 'manual' });
  const callback = new URL(approved.headers.get('location')!);
  return browser.get(`${callback.pathname}${callback.search}`);
}

describe('signing in with GitHub', () => {
  it('offers GitHub on the sign-in page once the GitHub app is set', async () => {
    expect(await (await new WebClient(gyre.base).get('/login')).text()).toContain('Sign in with GitHub');
  });

  it('refuses a GitHub user without an account while sign-up is closed, as on a new install', async () => {
    const stranger = new WebClient(gyre.base);
    const refused = await signInWithGitHub(stranger);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('sign-up is closed');
    expect(stranger.cookie('gyre_session')).toBeUndefined();
  });

  it('once sign-up is open, signs the first GitHub user in as a regular user and sends them where they were going', async () => {
    await gyre.openSignup();
    const browser = new WebClient(gyre.base);
    const done = await signInWithGitHub(browser);
    expect(done.status).toBe(302);
    expect(done.headers.get('location')).toBe('/builders');
    const page = await (await browser.get('/')).text();
    expect(page).toContain('<span class="who">octocat</span>');
  });

  it('signs a second GitHub user in as a regular user, and the same user again into the same account', async () => {
    github.user = { id: 9_000_001, login: 'hubot' };
    const browser = new WebClient(gyre.base);
    await signInWithGitHub(browser);
    const page = await (await browser.get('/')).text();
    expect(page).toContain('hubot');
    expect(page).not.toContain('hubot (admin)');
    await signInWithGitHub(new WebClient(gyre.base));
    const db = new pg.Client({ connectionString: gyre.database.url });
    await db.connect();
    try {
      const users = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM users WHERE login = 'hubot'");
      expect(users.rows[0]!.n).toBe(1);
    } finally {
      await db.end();
    }
  });

  it('refuses a callback whose state was not issued to this browser', async () => {
    const browser = new WebClient(gyre.base);
    const start = await browser.get('/auth/github/start');
    const approved = await fetch(new URL(start.headers.get('location')!), { redirect: 'manual' });
    const callback = new URL(approved.headers.get('location')!);
    const stranger = new WebClient(gyre.base);
    const answer = await stranger.get(`${callback.pathname}${callback.search}`);
    expect(answer.status).toBe(400);
    expect(await answer.text()).toContain('did not start here');
    expect(stranger.cookie('gyre_session')).toBeUndefined();
  });

  it("shows GitHub's own reason when the code is refused", async () => {
    const browser = new WebClient(gyre.base);
    const start = await browser.get('/auth/github/start');
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const answer = await browser.get(`/auth/github?code=not-a-code&state=${state}`);
    expect(await answer.text()).toContain('The code passed is incorrect or expired.');
    expect(browser.cookie('gyre_session')).toBeUndefined();
  });

  it('gives a GitHub user whose login a local account already holds an account of their own', async () => {
    const local = await new WebClient(gyre.base).submit('/signup', '/signup', {
      login: 'monalisa',
      password: 'a long local password',
    });
    expect(local.status).toBe(302);
    github.user = { id: 9_000_002, login: 'monalisa' };
    const browser = new WebClient(gyre.base);
    expect((await signInWithGitHub(browser)).status).toBe(302);
    expect(await (await browser.get('/')).text()).toContain('<span class="who">monalisa-github</span>');
  });

  it('refuses new GitHub users again once sign-up is closed, and still lets known ones in', async () => {
    expect((await admin.submit('/accounts', '/accounts/signup', { signup: 'closed' })).status).toBe(303);
    github.user = { id: 9_000_003, login: 'newcomer' };
    const stranger = new WebClient(gyre.base);
    const refused = await signInWithGitHub(stranger);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('sign-up is closed');
    expect(stranger.cookie('gyre_session')).toBeUndefined();
    github.user = { id: 9_000_001, login: 'hubot' };
    expect((await signInWithGitHub(new WebClient(gyre.base))).status).toBe(302);
  });
});
