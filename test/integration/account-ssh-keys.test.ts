import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { createDatabasePool, type Database } from '../../src/services/database/create-pool.js';
import { startServicesUnderTest, type ServicesUnderTest } from '../support/services-under-test.js';
import { opensshFingerprints, sshKeyText } from '../support/ssh-key-fixtures.js';
import { WebClient } from '../support/web-client.js';

// GIVEN the real services app on a real PostgreSQL with two accounts (ada, bob), WHEN they add
// and remove the public keys they connect to SSH reruns with, on their SSH keys page and through
// the API with their own tokens, THEN each sees and removes only their own keys, every change is
// audited, and a bad key is refused naming the field and saying what to paste.

let gyre: ServicesUnderTest;
let db: Database;
const ED25519 = sshKeyText('ed25519.pub').trim();
const RSA = sshKeyText('rsa-pem.pub').trim();

async function signedIn(login: string, password: string): Promise<{ browser: WebClient; token: string }> {
  const browser = new WebClient(gyre.base);
  expect((await browser.submit('/login', '/login', { login, password })).status).toBe(302);
  const page = await (await browser.submit('/tokens', '/tokens', { name: `${login} script` })).text();
  return { browser, token: /gyre_pat_[A-Za-z0-9_-]{43}/.exec(page)![0] };
}

function api(token: string, path: string, init: { method?: string; body?: unknown } = {}) {
  return fetch(`${gyre.base}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
  });
}

beforeAll(async () => {
  gyre = await startServicesUnderTest();
  db = createDatabasePool(gyre.database.url, pino({ level: 'silent' }));
  gyre.createAccount('ada', 'correct horse battery');
  gyre.createAccount('bob', 'another long password');
}, 300_000);

afterAll(async () => {
  await db?.end();
  await gyre?.stop();
}, 120_000);

describe("an account's SSH keys", () => {
  it('are added on the SSH keys page, shown with their fingerprint, and removed there', async () => {
    const { browser } = await signedIn('ada', 'correct horse battery');
    const empty = await (await browser.get('/ssh-keys')).text();
    expect(empty).toContain('You have no SSH keys yet.');

    // A private key pasted by mistake is refused, the form shown again as typed
    const refused = await browser.submit('/ssh-keys', '/ssh-keys', { title: 'laptop', key: sshKeyText('ed25519.key') });
    expect(refused.status).toBe(400);
    const page = await refused.text();
    expect(page).toContain('key: this is a private key: never share it');
    expect(page).toContain('value="laptop"');

    expect(page).not.toContain('PRIVATE KEY');

    // The title is the key's comment when left empty, kept to what a title may hold
    expect(
      (await browser.submit('/ssh-keys', '/ssh-keys', { title: '', key: `${ED25519} ada+ci@laptop:work "home"` }))
        .status,
    ).toBe(303);
    const listed = await (await browser.get('/ssh-keys')).text();
    expect(listed).toContain(
      `<td>ada+ci@laptop:work home</td><td><code>${opensshFingerprints('ed25519.key').sha256}</code></td>`,
    );
    const id = /action="\/ssh-keys\/(\d+)\/remove"/.exec(listed)![1]!;
    expect((await browser.submit('/ssh-keys', `/ssh-keys/${id}/remove`, {})).status).toBe(303);
    expect(await (await browser.get('/ssh-keys')).text()).toContain('You have no SSH keys yet.');
  });

  it("are the caller's own through the API: listed, added once, removed; another's are not found", async () => {
    const ada = await signedIn('ada', 'correct horse battery');
    const bob = await signedIn('bob', 'another long password');

    const added = await api(ada.token, '/api/v1/user/ssh-keys', { method: 'POST', body: { title: 'desk', key: RSA } });
    expect(added.status).toBe(201);
    const key = (await added.json()) as { id: number; fingerprint: string; publicKey: string };
    expect(key).toMatchObject({ fingerprint: opensshFingerprints('rsa-pem.key').sha256, publicKey: RSA });
    const again = await api(ada.token, '/api/v1/user/ssh-keys', { method: 'POST', body: { key: RSA } });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { message: string } }).error.message).toContain('already');

    // Bob sees none of Ada's keys, cannot remove hers, and cannot add her key as his
    expect(await (await api(bob.token, '/api/v1/user/ssh-keys')).json()).toEqual({ items: [] });
    const taken = await api(bob.token, '/api/v1/user/ssh-keys', { method: 'POST', body: { key: RSA } });
    expect(taken.status).toBe(409);
    expect(((await taken.json()) as { error: { message: string } }).error.message).toContain(
      'is in use by another account',
    );
    expect((await api(bob.token, `/api/v1/user/ssh-keys/${key.id}`, { method: 'DELETE' })).status).toBe(404);

    const bad = await api(bob.token, '/api/v1/user/ssh-keys', { method: 'POST', body: { key: sshKeyText('dsa.pub') } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      error: { details: [expect.objectContaining({ input: 'key', message: expect.stringContaining('DSA') })] },
    });

    expect((await api(ada.token, `/api/v1/user/ssh-keys/${key.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await (await api(ada.token, '/api/v1/user/ssh-keys')).json()).toEqual({ items: [] });

    // Every change is in the audit log, with the key's fingerprint, never the key itself
    const audited = await db.query<{ actor: string; action: string; detail: { fingerprint: string } }>(
      `SELECT actor, action, detail FROM audit_log WHERE action LIKE 'user.ssh_key.%' ORDER BY id`,
    );
    expect(audited.rows.map((row) => [row.actor, row.action])).toEqual([
      ['user:ada', 'user.ssh_key.add'],
      ['user:ada', 'user.ssh_key.remove'],
      ['token:ada script', 'user.ssh_key.add'],
      ['token:ada script', 'user.ssh_key.remove'],
    ]);
    expect(JSON.stringify(audited.rows)).not.toContain(RSA.split(' ')[1]);
  });

  it('are refused to a token that acts for no account', async () => {
    const answer = await gyre.api('/api/v1/user/ssh-keys');
    expect(answer.status).toBe(403);
    expect(((await answer.json()) as { error: { message: string } }).error.message).toContain(
      'SSH keys belong to an account',
    );
  });
});
