import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { createDatabasePool } from '../../src/services/database/create-pool.js';
import { startServicesUnderTest, type ServicesUnderTest } from '../support/services-under-test.js';
import { WebClient } from '../support/web-client.js';

// GIVEN the real services app on a real PostgreSQL with no account yet, sign-up closed as on every
// new install, reached over HTTP like a browser would: cookies kept, forms posted as
// application/x-www-form-urlencoded.
let gyre: ServicesUnderTest;

beforeAll(async () => {
  gyre = await startServicesUnderTest();
}, 300_000);

afterAll(async () => {
  await gyre?.stop();
}, 120_000);

describe('signing in to the user UI', () => {
  it('sends a stranger to the sign-in page; a new install offers no sign-up and makes no account', async () => {
    const browser = new WebClient(gyre.base);
    const home = await browser.get('/');
    expect(home.status).toBe(302);
    expect(home.headers.get('location')).toBe('/login?next=%2F');
    const login = await browser.get('/login');
    expect(login.status).toBe(200);
    const page = await login.text();
    expect(page).toContain('No account? Ask an administrator of this Gyre to create one.');
    expect(page).not.toContain('href="/signup"');
    const signup = await browser.get('/signup');
    expect(signup.status).toBe(403);
    expect(await signup.text()).toContain('sign-up is closed on this Gyre');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await (await browser.get('/login')).text())![1]!;
    const refused = await browser.post(
      '/signup',
      new URLSearchParams({ login: 'mallory', password: 'first come first served', _csrf: csrf }),
    );
    expect(refused.status).toBe(403);
    const db = createDatabasePool(gyre.database.url, pino({ level: 'silent' }));
    try {
      expect((await db.query('SELECT login FROM users')).rows).toEqual([]);
    } finally {
      await db.end();
    }
  });

  it('makes no administrator by sign-up, not even the first account; `gyre accounts create --admin` makes one', async () => {
    await gyre.openSignup();
    const first = new WebClient(gyre.base);
    expect(
      (await first.submit('/signup', '/signup', { login: 'bob', password: 'another long password' })).headers.get(
        'location',
      ),
    ).toBe('/');
    const page = await (await first.get('/')).text();
    expect(page).toContain('<span class="who">bob</span>');
    expect(page).not.toContain('bob (admin)');

    gyre.createAccount('ada', 'correct horse battery', { admin: true });
    const ada = new WebClient(gyre.base);
    await ada.submit('/login', '/login', { login: 'ada', password: 'correct horse battery' });
    expect(await (await ada.get('/')).text()).toContain('ada (admin)');
  });

  it('refuses a bad new account with every problem (400) and a taken login as a conflict (409), creating nothing', async () => {
    const bad = await new WebClient(gyre.base).submit('/signup', '/signup', { login: '-x', password: 'short' });
    expect(bad.status).toBe(400);
    const page = await bad.text();
    expect(page).toContain('login must be 1-39 letters');
    expect(page).toContain('password must be at least 10 characters');
    const taken = await new WebClient(gyre.base).submit('/signup', '/signup', {
      login: 'ADA',
      password: 'someone elses password',
    });
    expect(taken.status).toBe(409);
    expect(await taken.text()).toContain('the login &quot;ADA&quot; is taken');
  });

  it('reads a repeated form field as its last value, not as a list the handler cannot use', async () => {
    const browser = new WebClient(gyre.base);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await (await browser.get('/signup')).text())![1]!;
    const answer = await browser.post(
      '/signup',
      new URLSearchParams([
        ['login', 'first-try'],
        ['login', 'carl'],
        ['password', 'carls long password'],
        ['_csrf', csrf],
      ]),
    );
    expect(answer.status).toBe(302);
    expect(await (await browser.get('/')).text()).toContain('<span class="who">carl</span>');
  });

  it('refuses a form posted without its CSRF token, even with a valid session', async () => {
    const browser = new WebClient(gyre.base);
    await browser.submit('/login', '/login', { login: 'ada', password: 'correct horse battery' });
    const forged = await browser.post('/logout', {});
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('security token');
    // The session survived the forged post.
    expect((await browser.get('/')).status).toBe(200);
    const noToken = await new WebClient(gyre.base).post('/login', { login: 'ada', password: 'correct horse battery' });
    expect(noToken.status).toBe(403);
  });

  it('refuses the 11th wrong password within a minute, and then even the right one', async () => {
    const browser = new WebClient(gyre.base);
    for (let attempt = 1; attempt <= 10; attempt++) {
      const wrong = await browser.submit('/login', '/login', { login: 'bob', password: `wrong-${attempt}` });
      expect(wrong.status).toBe(401);
    }
    const eleventh = await browser.submit('/login', '/login', { login: 'bob', password: 'wrong-11' });
    expect(eleventh.status).toBe(429);
    expect(Number(eleventh.headers.get('retry-after'))).toBeGreaterThan(0);
    const right = await browser.submit('/login', '/login', { login: 'bob', password: 'another long password' });
    expect(right.status).toBe(429);
    // No proxy is trusted here, so a forwarded address changes nothing: the guesser is still stopped.
    const claimsAnother = new WebClient(gyre.base, { 'x-forwarded-for': '198.51.100.99' });
    const spoofed = await claimsAnother.submit('/login', '/login', { login: 'bob', password: 'another long password' });
    expect(spoofed.status).toBe(429);
  });

  it('keeps the session cookie away from scripts and refuses a redirect to another site after sign-in', async () => {
    const browser = new WebClient(gyre.base);
    const signedIn = await browser.submit('/login?next=https%3A%2F%2Fevil.example%2F', '/login', {
      login: 'ada',
      password: 'correct horse battery',
      next: 'https://evil.example/',
    });
    expect(signedIn.headers.get('location')).toBe('/');
    expect(signedIn.headers.get('set-cookie')).toMatch(/gyre_session=[^;]+;.*HttpOnly/i);
    expect(signedIn.headers.get('set-cookie')).toMatch(/SameSite=Lax/i);
  });

  it('serves its own assets with a policy that allows no other origin', async () => {
    const css = await fetch(`${gyre.base}/assets/gyre.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toContain('text/css');
    const page = await new WebClient(gyre.base).get('/login');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
  });
});
