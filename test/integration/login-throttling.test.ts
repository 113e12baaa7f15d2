import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startServicesUnderTest, TEST_SECRETS, type ServicesUnderTest } from '../support/services-under-test.js';
import { WebClient } from '../support/web-client.js';

// GIVEN the services app behind a reverse proxy on 127.0.0.1 that it trusts (GYRE_TRUSTED_PROXIES),
// so each request's client address is the one the proxy forwards; and an account bob.
const PASSWORD = 'another long password';
let gyre: ServicesUnderTest;

beforeAll(async () => {
  gyre = await startServicesUnderTest({ settings: { GYRE_TRUSTED_PROXIES: '127.0.0.1' } });
  gyre.createAccount('bob', PASSWORD, { admin: true });
}, 300_000);

afterAll(async () => {
  await gyre?.stop();
}, 120_000);

/** A browser whose requests the proxy forwards from `address`. */
const clientAt = (address: string, base = gyre.base) => new WebClient(base, { 'x-forwarded-for': address });

async function guessTenTimes(browser: WebClient, login: string): Promise<void> {
  for (let attempt = 1; attempt <= 10; attempt++)
    expect((await browser.submit('/login', '/login', { login, password: `wrong-${attempt}` })).status).toBe(401);
}

describe('sign-in throttling', () => {
  it("stops a guesser at its forwarded address, while the account's owner elsewhere still signs in", async () => {
    const guesser = clientAt('203.0.113.7');
    await guessTenTimes(guesser, 'bob');
    const eleventh = await guesser.submit('/login', '/login', { login: 'bob', password: PASSWORD });
    expect(eleventh.status).toBe(429);
    expect(await eleventh.text()).toMatch(/Too many wrong passwords\. Wait \d+ seconds/);
    const owner = clientAt('198.51.100.20');
    expect((await owner.submit('/login', '/login', { login: 'bob', password: PASSWORD })).status).toBe(302);
  });

  it('counts each listener apart: guessing on the user port leaves the admin console open', async () => {
    const guesser = clientAt('203.0.113.8');
    await guessTenTimes(guesser, 'bob');
    expect((await guesser.submit('/login', '/login', { login: 'bob', password: PASSWORD })).status).toBe(429);
    const adminConsole = clientAt('203.0.113.8', gyre.services.addresses.admin);
    expect((await adminConsole.submit('/login', '/login', { login: 'bob', password: PASSWORD })).status).toBe(302);
    expect(
      (await adminConsole.submit('/login', '/login', { login: 'admin', password: TEST_SECRETS.GYRE_ADMIN_PASSWORD }))
        .status,
    ).toBe(302);
  });
});
