import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { createDatabasePool, type Database } from '../../src/services/database/create-pool.js';
import { deliverWebhook, pushPayloadFor } from '../support/github-examples.js';
import { allowDockerInBuilds, startServicesUnderTest, type ServicesUnderTest } from '../support/services-under-test.js';
import { opensshFingerprints, sshKeyText } from '../support/ssh-key-fixtures.js';
import { WebClient } from '../support/web-client.js';

// GIVEN the real services app on a real PostgreSQL, maya, who adds a project in the web UI and so
// is its maintainer, and vera, whom maya made a viewer, each signed in as a browser would be.
// WHEN they post the project pages' forms with bad input, THEN each answer names every bad field
// (or says why the change is refused), shows the form again, and nothing is saved.

const PASSWORD = 'a long enough password';
const GIT_URL = 'git://git.example/acme/forms.git';
const SECRET_VALUE = 'do-not-echo-this-secret';

let gyre: ServicesUnderTest;
let db: Database;
let maya: WebClient;
let vera: WebClient;
let projectId: number;
let webhookSecret: string;

const page = (id = projectId) => `/projects/${id}`;
/** Posts one of the settings page's forms as maya, with the page's CSRF token. */
const onSettings = (action: string, fields: Readonly<Record<string, string>>) =>
  maya.submit(`${page()}/settings`, `${page()}${action}`, fields);

/** The project as the API sees it. */
async function projectNow(): Promise<Record<string, unknown>> {
  return (await (await gyre.api(`/api/v1/projects/${projectId}`)).json()) as Record<string, unknown>;
}

async function signIn(login: string): Promise<WebClient> {
  const client = new WebClient(gyre.base);
  expect((await client.submit('/login', '/login', { login, password: PASSWORD })).status).toBe(302);
  return client;
}

beforeAll(async () => {
  gyre = await startServicesUnderTest();
  db = createDatabasePool(gyre.database.url, pino({ level: 'silent' }));
  gyre.createAccount('maya', PASSWORD);
  gyre.createAccount('vera', PASSWORD);
  [maya, vera] = await Promise.all([signIn('maya'), signIn('vera')]);
  const created = await maya.submit('/projects/new', '/projects/new', {
    name: 'acme/forms',
    gitUrl: GIT_URL,
    defaultBranch: 'main',
    repository: 'acme/forms',
  });
  expect(created.status).toBe(201);
  const html = await created.text();
  projectId = Number(/href="\/projects\/(\d+)"/.exec(html)?.[1]);
  webhookSecret = /<span class="secret" data-copy>([0-9a-f]{64})<\/span>/.exec(html)![1]!;
  expect((await maya.submit(`${page()}/members`, `${page()}/members`, { login: 'vera', role: 'viewer' })).status).toBe(
    303,
  );
}, 300_000);

afterAll(async () => {
  await db?.end();
  await gyre?.stop();
}, 120_000);

describe("a viewer's view of a project", () => {
  it('links to no settings, variables or delete page, and those pages answer 403', async () => {
    const html = await (await vera.get(page())).text();
    expect(html).toContain(`href="${page()}/members"`);
    expect(html).toContain(`href="${page()}/deliveries"`);
    for (const path of ['/settings', '/variables', '/delete']) {
      expect(html).not.toContain(`href="${page()}${path}"`);
      const answer = await vera.get(`${page()}${path}`);
      expect({ path, status: answer.status }).toEqual({ path, status: 403 });
      expect(await answer.text()).toContain('this needs maintainer or more');
    }
    // Nor may a viewer trigger: the form is not offered.
    expect(html).not.toContain(`action="${page()}/pipelines"`);
  });

  it('shows the members without the forms that change them', async () => {
    const html = await (await vera.get(`${page()}/members`)).text();
    expect(html).toMatch(/<td>maya<\/td>\s*<td>maintainer<\/td>/);
    expect(html).toMatch(/<td>vera<\/td>\s*<td>viewer<\/td>/);
    expect(html).not.toContain(`action="${page()}/members"`);
    expect(html).not.toContain('/remove"');
  });
});

describe('the settings form', () => {
  it('names every bad field, keeps what was typed, and saves nothing', async () => {
    const before = await projectNow();
    const answer = await onSettings('/settings', {
      gitUrl: 'https://git.example/acme/new.git',
      defaultBranch: 'has space',
      repository: 'not a repository',
      visibility: 'public',
      buildForkPullRequests: 'on',
    });
    expect(answer.status).toBe(400);
    const html = await answer.text();
    expect(html).toContain('Default branch: a branch name without spaces');
    expect(html).toContain('GitHub repository: owner/name');
    expect(html).toContain('Visibility: one of private or internal');
    expect(html).not.toContain('Git URL:');
    expect(html).toContain('value="https://git.example/acme/new.git"');
    expect(html).toContain('value="has space"');
    // The good field was not saved on its own.
    expect(await projectNow()).toEqual(before);
  });

  it('saves every field at once; an emptied repository unlinks the project', async () => {
    const answer = await onSettings('/settings', {
      gitUrl: 'https://git.example/acme/new.git',
      defaultBranch: 'develop',
      repository: '',
      visibility: 'internal',
      passSecretsToForks: 'on',
    });
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe(`${page()}/settings?saved=1`);
    expect(await projectNow()).toMatchObject({
      gitUrl: 'https://git.example/acme/new.git',
      defaultBranch: 'develop',
      repository: null,
      visibility: 'internal',
      buildForkPullRequests: false,
      passSecretsToForks: true,
    });
    const shown = await (await maya.get(`${page()}/settings?saved=1`)).text();
    expect(shown).toContain('Settings saved.');
    expect(shown).toContain('<option value="internal" selected>');
    // Put back what the tests below rely on.
    await gyre.api(`/api/v1/projects/${projectId}`, {
      method: 'PATCH',
      body: { gitUrl: GIT_URL, repository: 'acme/forms', visibility: 'private', buildForkPullRequests: true },
    });
  });

  it("shows the administrator's Docker in builds grant, which the maintainer's form cannot change", async () => {
    const grant = async () =>
      (await (await maya.get(`${page()}/settings`)).text()).match(/data-testid="docker-in-builds">([^\n]*)<\/p>/)?.[1];
    expect(await grant()).toContain('not allowed; jobs that need it wait');
    const now = await projectNow();
    const answer = await onSettings('/settings', {
      gitUrl: GIT_URL,
      defaultBranch: String(now.defaultBranch),
      repository: 'acme/forms',
      visibility: 'private',
      buildForkPullRequests: 'on',
      dockerInBuilds: 'on',
    });
    expect(answer.status).toBe(303);
    expect(await projectNow()).toMatchObject({ dockerInBuilds: false });
    await allowDockerInBuilds(gyre, projectId);
    expect(await grant()).toContain('allowed by an administrator');
    await allowDockerInBuilds(gyre, projectId, false);
  });
});

describe('the settings form and repository credentials', () => {
  it.each([
    [
      'a user name and token in the URL',
      'https://maya:ghp_secret1234@git.example/acme/forms.git',
      /user name or token/i,
    ],
    ['a link-local host', 'http://169.254.169.254/acme/forms.git', /169\.254\.169\.254/],
  ])('refuses a git URL with %s, as the API does, and saves nothing', async (_case, gitUrl, why) => {
    const before = await projectNow();
    const answer = await onSettings('/settings', {
      gitUrl,
      defaultBranch: 'main',
      repository: 'acme/forms',
      visibility: 'private',
    });
    expect(answer.status).toBe(400);
    const html = await answer.text();
    expect(html).toMatch(/<li>Git URL: [^<]+<\/li>/);
    expect(html.match(/<li>Git URL: ([^<]+)<\/li>/)?.[1]).toMatch(why);
    expect(await projectNow()).toEqual(before);
  });

  it('names a bad token without quoting it, and sets nothing', async () => {
    const answer = await onSettings('/credential', {
      kind: 'token',
      username: 'has:colon',
      token: 'two words-secret',
    });
    expect(answer.status).toBe(400);
    const html = await answer.text();
    expect(html).toContain('Token: printable characters without spaces');
    expect(html).toContain('User name: at most 255 characters, without colons or spaces');
    expect(html).not.toContain('two words-secret');
    // The settings form above it still shows what is saved, not the credential form's empty fields.
    expect(html).toContain(`value="${GIT_URL}"`);
    expect((await gyre.api(`/api/v1/projects/${projectId}/credential`)).status).toBe(404);
  });

  it('sets a token, replaces it with a deploy key whose public half it shows, and removes it, auditing each', async () => {
    const token = 'ghp_webform0000token9876';
    const set = await onSettings('/credential', { kind: 'token', token });
    expect(set.status).toBe(303);
    const withToken = await (await maya.get(`${page()}/settings`)).text();
    expect(withToken).toContain('A token for user <code>x-access-token</code> ending in <code>9876</code>');
    expect(withToken).not.toContain(token);
    expect(await (await gyre.api(`/api/v1/projects/${projectId}/credential`)).json()).toMatchObject({
      kind: 'token',
      last4: '9876',
    });

    expect((await onSettings('/credential', { kind: 'deploy-key' })).status).toBe(303);
    const withKey = await (await maya.get(`${page()}/settings`)).text();
    const shownKey = withKey.match(/data-testid="deploy-key">([^<]+)</)?.[1];
    expect(shownKey).toMatch(/^ssh-ed25519 [A-Za-z0-9+/=]+ gyre-project-\d+$/);
    expect(await (await gyre.api(`/api/v1/projects/${projectId}/credential`)).json()).toMatchObject({
      kind: 'deploy-key',
      publicKey: shownKey,
    });
    expect(withKey).not.toContain('PRIVATE KEY');

    expect((await onSettings('/credential/remove', {})).status).toBe(303);
    expect(await (await maya.get(`${page()}/settings`)).text()).toContain(
      'None: Gyre fetches the repository without one.',
    );
    expect((await gyre.api(`/api/v1/projects/${projectId}/credential`)).status).toBe(404);

    const audit = await db.query<{ actor: string; action: string }>(
      `SELECT actor, action FROM audit_log WHERE target = $1 AND action LIKE 'project.credential%' ORDER BY id`,
      [`project:${projectId}`],
    );
    expect(audit.rows).toEqual([
      { actor: 'user:maya', action: 'project.credential_set' },
      { actor: 'user:maya', action: 'project.credential_set' },
      { actor: 'user:maya', action: 'project.credential_remove' },
    ]);
  });

  it("refuses a viewer's credential change", async () => {
    expect((await vera.submit(`${page()}/members`, `${page()}/credential`, { kind: 'deploy-key' })).status).toBe(403);
    expect((await gyre.api(`/api/v1/projects/${projectId}/credential`)).status).toBe(404);
  });
});

describe('the SSH keys form', () => {
  const keys = () => gyre.api(`/api/v1/projects/${projectId}/ssh-keys`);

  it('names every problem of a key and its host without quoting the key, and adds nothing', async () => {
    const answer = await onSettings('/ssh-keys', {
      privateKey: sshKeyText('ed25519-passphrase.key'),
      hostname: 'two words',
    });
    expect(answer.status).toBe(400);
    const html = await answer.text();
    expect(html).toContain('<li>privateKey: the key has a passphrase, which a job cannot type');
    expect(html).toContain('<li>hostname: &quot;two words&quot; is not a host name');
    expect(html).not.toContain(sshKeyText('ed25519-passphrase.key').split('\n')[1]);
    expect(await (await keys()).json()).toEqual({ items: [] });
  });

  it('adds a key pasted with CRLF line ends, lists its fingerprints and host, and removes it, auditing each', async () => {
    const { md5, sha256 } = opensshFingerprints('ed25519.key');
    const pasted = sshKeyText('ed25519.key').replaceAll('\n', '\r\n');
    expect((await onSettings('/ssh-keys', { privateKey: pasted, hostname: 'github.com' })).status).toBe(303);
    const html = await (await maya.get(`${page()}/settings`)).text();
    expect(html).toContain(`<code>${sha256}</code>`);
    expect(html).toContain(`<code class="muted">${md5}</code>`);
    expect(html).toContain('<td>github.com</td>');
    expect(html).not.toContain(sshKeyText('ed25519.key').split('\n')[1]);
    expect(await (await keys()).json()).toMatchObject({
      items: [{ sha256, hostname: 'github.com', addedBy: 'user:maya' }],
    });

    expect((await onSettings('/ssh-keys/remove', { fingerprint: sha256 })).status).toBe(303);
    expect(await (await maya.get(`${page()}/settings`)).text()).toContain('None yet.');
    const audit = await db.query<{ actor: string; action: string }>(
      `SELECT actor, action FROM audit_log WHERE target = $1 AND action LIKE 'project.ssh_key%' ORDER BY id`,
      [`project:${projectId}`],
    );
    expect(audit.rows).toEqual([
      { actor: 'user:maya', action: 'project.ssh_key_add' },
      { actor: 'user:maya', action: 'project.ssh_key_remove' },
    ]);
  });

  it("refuses a viewer's key", async () => {
    const posted = await vera.submit(`${page()}/members`, `${page()}/ssh-keys`, {
      privateKey: sshKeyText('ed25519.key'),
    });
    expect(posted.status).toBe(403);
    expect(await (await keys()).json()).toEqual({ items: [] });
  });
});

describe('the variables form', () => {
  it('names a bad name and a bad value, never shows the value, and sets nothing', async () => {
    const answer = await maya.submit(`${page()}/variables`, `${page()}/variables`, {
      name: '9-LIVES',
      value: `${SECRET_VALUE}\0`,
    });
    expect(answer.status).toBe(400);
    const html = await answer.text();
    expect(html).toContain('Name: letters, digits and _');
    expect(html).toContain('Value: at most 65,536 characters, without NUL characters; type it again');
    expect(html).toContain('value="9-LIVES"');
    expect(html).not.toContain(SECRET_VALUE);
    expect(await (await gyre.api(`/api/v1/projects/${projectId}/variables`)).json()).toEqual({ items: [] });
  });

  it('sets, replaces and removes a variable, showing only the last characters', async () => {
    const set = (value: string) =>
      maya.submit(`${page()}/variables`, `${page()}/variables`, { name: 'DEPLOY_TOKEN', value });
    expect((await set(SECRET_VALUE)).status).toBe(303);
    let html = await (await maya.get(`${page()}/variables`)).text();
    expect(html).toContain('<code>DEPLOY_TOKEN</code>');
    expect(html).toContain('<code>…cret</code>');
    expect(html).not.toContain(SECRET_VALUE);
    expect((await set('a-replaced-value-1234')).status).toBe(303);
    html = await (await maya.get(`${page()}/variables`)).text();
    expect(html).toContain('<code>…1234</code>');
    expect(html).not.toContain('…cret');
    const removed = await maya.submit(`${page()}/variables`, `${page()}/variables/DEPLOY_TOKEN/remove`, {});
    expect(removed.status).toBe(303);
    expect(await (await maya.get(`${page()}/variables`)).text()).toContain('No variables yet.');
    const again = await maya.submit(`${page()}/variables`, `${page()}/variables/DEPLOY_TOKEN/remove`, {});
    expect(again.status).toBe(404);
    expect(await again.text()).toContain('variable DEPLOY_TOKEN of project');
  });
});

describe('the members form', () => {
  const members = async () => await (await gyre.api(`/api/v1/projects/${projectId}/members`)).json();

  it('names a bad login and role, refuses an unknown account, and changes nothing', async () => {
    const before = await members();
    const bad = await maya.submit(`${page()}/members`, `${page()}/members`, { login: '', role: 'owner' });
    expect(bad.status).toBe(400);
    const badHtml = await bad.text();
    expect(badHtml).toContain('Login: the account&#x27;s login, 1 to 39 characters');
    expect(badHtml).toContain('Role: one of viewer, member, maintainer');
    const unknown = await maya.submit(`${page()}/members`, `${page()}/members`, { login: 'nobody', role: 'member' });
    expect(unknown.status).toBe(404);
    const unknownHtml = await unknown.text();
    expect(unknownHtml).toContain('the account &quot;nobody&quot; does not exist');
    expect(unknownHtml).toContain('value="nobody"');
    expect(await members()).toEqual(before);
  });

  it('refuses to demote or remove the last maintainer, saying why, and audits the changes it makes', async () => {
    for (const [action, fields] of [
      [`${page()}/members`, { login: 'maya', role: 'member' }],
      [`${page()}/members/maya/remove`, {}],
    ] as const) {
      const answer = await maya.submit(`${page()}/members`, action, fields);
      expect(answer.status).toBe(409);
      expect(await answer.text()).toContain('maya is the project&#x27;s last maintainer');
    }
    expect(
      (await maya.submit(`${page()}/members`, `${page()}/members`, { login: 'vera', role: 'member' })).status,
    ).toBe(303);
    const audit = await db.query<{ actor: string; action: string; detail: unknown }>(
      "SELECT actor, action, detail FROM audit_log WHERE target = $1 AND action LIKE 'project.member%' ORDER BY id",
      [`project:${projectId}`],
    );
    expect(audit.rows).toEqual([
      { actor: 'user:maya', action: 'project.member_set', detail: { login: 'vera', role: 'viewer' } },
      { actor: 'user:maya', action: 'project.member_set', detail: { login: 'vera', role: 'member' } },
    ]);
  });
});

describe('the deliveries page', () => {
  it('lists a refused delivery with its reason, and a redelivery records the outcome again', async () => {
    const foreign = pushPayloadFor('a'.repeat(40), { repository: { full_name: 'mallory/evil', name: 'evil' } });
    expect(
      (await deliverWebhook(`${gyre.base}/webhooks/github?project=${projectId}`, foreign, webhookSecret)).status,
    ).toBe(403);
    const listed = await (await vera.get(`${page()}/deliveries`)).text();
    expect(listed).toContain('<span class="state state-refused">refused</span>');
    expect(listed).toContain('the delivery is from mallory/evil, but project acme/forms is linked to acme/forms');
    // A viewer sees the outcome but is offered no redelivery, and may not redeliver.
    expect(listed).not.toContain('/redeliver"');
    const id = Number((await db.query<{ id: string }>('SELECT max(id) AS id FROM webhook_deliveries')).rows[0]!.id);
    expect((await vera.submit(`${page()}/deliveries`, `/deliveries/${id}/redeliver`, {})).status).toBe(403);
    const redelivered = await maya.submit(`${page()}/deliveries`, `/deliveries/${id}/redeliver`, {});
    expect(redelivered.status).toBe(303);
    const location = redelivered.headers.get('location')!;
    expect(location).toBe(`${page()}/deliveries?redelivered=${id}`);
    expect(await (await maya.get(location)).text()).toMatch(/redelivered: <span class="state state-refused">refused/);
  });
});

describe('deleting a project', () => {
  it('deletes nothing without the project name, and everything with it', async () => {
    const wrong = await maya.submit(`${page()}/delete`, `${page()}/delete`, { confirm: 'acme/other' });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('Project name: type the project&#x27;s name, acme/forms, exactly');
    expect((await gyre.api(`/api/v1/projects/${projectId}`)).status).toBe(200);
    const done = await maya.submit(`${page()}/delete`, `${page()}/delete`, { confirm: 'acme/forms' });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/');
    expect((await gyre.api(`/api/v1/projects/${projectId}`)).status).toBe(404);
    expect((await maya.get(`${page()}/settings`)).status).toBe(404);
  });
});
