import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { createDatabasePool, type Database } from '../../src/services/database/create-pool.js';
import { seedWorkflow } from '../support/seed-jobs.js';
import { startServicesUnderTest, TEST_SECRETS, type ServicesUnderTest } from '../support/services-under-test.js';
import { SimulatedBuilder } from '../support/simulated-builder.js';
import { WebClient } from '../support/web-client.js';

// GIVEN the real services app on a real PostgreSQL: the user UI on one port, the admin console on
// the other, an administrator account (ada) and a regular one (bob), made with `gyre accounts create`.
let gyre: ServicesUnderTest;
let db: Database;
let adminBase: string;
let count = 0;

const join = (secret: string = TEST_SECRETS.GYRE_JOIN_SECRET) =>
  SimulatedBuilder.join(gyre.base, secret, { name: `admin-test-${++count}` });
const builderState = async (id: number) =>
  (await db.query<{ state: string }>('SELECT state FROM builders WHERE id = $1', [id])).rows[0]!.state;

async function signIn(login: string, password: string): Promise<{ browser: WebClient; answer: Response }> {
  const browser = new WebClient(adminBase);
  const answer = await browser.submit('/login', '/login', { login, password });
  return { browser, answer };
}

async function asBuiltInAdmin(): Promise<WebClient> {
  const { browser, answer } = await signIn('admin', TEST_SECRETS.GYRE_ADMIN_PASSWORD);
  expect(answer.status).toBe(302);
  return browser;
}

beforeAll(async () => {
  gyre = await startServicesUnderTest();
  adminBase = gyre.services.addresses.admin;
  db = createDatabasePool(gyre.database.url, pino({ level: 'silent' }));
  gyre.createAccount('ada', 'correct horse battery', { admin: true });
  gyre.createAccount('bob', 'another long password');
}, 300_000);

afterAll(async () => {
  await db?.end();
  await gyre?.stop();
}, 120_000);

describe('signing in to the admin console', () => {
  it('sends a stranger to its own sign-in page, which offers no sign-up', async () => {
    const browser = new WebClient(adminBase);
    const fleet = await browser.get('/fleet');
    expect(fleet.status).toBe(302);
    expect(fleet.headers.get('location')).toBe('/login?next=%2Ffleet');
    const login = await (await browser.get('/login')).text();
    expect(login).toContain('Sign in to Gyre admin console');
    expect(login).not.toContain('/signup');
    expect((await browser.get('/signup')).status).toBe(404);
  });

  it('lets the built-in admin in with GYRE_ADMIN_PASSWORD, under its own cookie', async () => {
    const { browser, answer } = await signIn('admin', TEST_SECRETS.GYRE_ADMIN_PASSWORD);
    expect(answer.headers.get('location')).toBe('/');
    expect(answer.headers.get('set-cookie')).toMatch(/gyre_admin=[^;]+;.*HttpOnly/i);
    expect((await browser.get('/')).headers.get('location')).toBe('/fleet');
    const fleet = await browser.get('/fleet');
    expect(fleet.status).toBe(200);
    expect(await fleet.text()).toContain('<span class="who">admin</span>');
    expect((await signIn('admin', 'not-the-password')).answer.status).toBe(401);
  });

  it('lets an administrator account in and refuses a regular one', async () => {
    const ada = await signIn('ada', 'correct horse battery');
    expect(ada.answer.status).toBe(302);
    expect(await (await ada.browser.get('/fleet')).text()).toContain('ada (admin)');
    const bob = await signIn('bob', 'another long password');
    expect(bob.answer.status).toBe(401);
    expect(await bob.answer.text()).toContain('bob is not an administrator');
    expect((await bob.browser.get('/fleet')).status).toBe(302);
  });

  it('does not accept a user UI session on the admin port', async () => {
    const user = new WebClient(gyre.base);
    await user.submit('/login', '/login', { login: 'ada', password: 'correct horse battery' });
    const session = user.cookie('gyre_session')!;
    const answer = await fetch(`${adminBase}/fleet`, {
      redirect: 'manual',
      headers: { cookie: `gyre_session=${session}; gyre_admin=${session}` },
    });
    expect(answer.status).toBe(302);
  });
});

describe('the user port', () => {
  it('serves none of the admin pages or actions', async () => {
    const user = new WebClient(gyre.base);
    await user.submit('/login', '/login', { login: 'ada', password: 'correct horse battery' });
    for (const path of ['/fleet', '/queue', '/settings', '/audit', '/backups'])
      expect([path, (await user.get(path)).status]).toEqual([path, 404]);
    for (const path of [
      '/fleet/1/drain',
      '/fleet/1/cancel-drain',
      '/fleet/1/revoke',
      '/settings/join-secret',
      '/settings/webhooks',
      '/settings/resource-classes',
      '/settings/github',
    ]) {
      expect([path, (await user.post(path, {})).status]).toEqual([path, 404]);
    }
  });
});

describe('the fleet page', () => {
  it('drains, cancels the drain and revokes a builder, each landing in the audit log', async () => {
    const admin = await asBuiltInAdmin();
    const builder = await join();
    const page = await (await admin.get('/fleet')).text();
    expect(page).toContain(`admin-test-${count}`);
    expect(page).toContain('8 CPU / 16 GiB<br><span class="muted">of 8 CPU / 16 GiB</span>');
    expect(page).toContain('value="30m"');

    const drained = await admin.submit('/fleet', `/fleet/${builder.id}/drain`, { deadline: '10m' });
    expect([drained.status, drained.headers.get('location')]).toEqual([303, '/fleet']);
    expect(await builderState(builder.id)).toBe('draining');
    expect(await (await admin.get('/fleet')).text()).toContain('state-draining');

    expect((await admin.submit('/fleet', `/fleet/${builder.id}/cancel-drain`, {})).status).toBe(303);
    expect(await builderState(builder.id)).toBe('active');

    expect((await admin.submit('/fleet', `/fleet/${builder.id}/revoke`, {})).status).toBe(303);
    expect(await builderState(builder.id)).toBe('revoked');
    const refused = await builder.call<{ error: { code: string } }>('/lease', { max: 1, waitSeconds: 0 });
    expect({ status: refused.status, code: refused.body.error.code }).toEqual({ status: 403, code: 'builder_revoked' });

    const audit = await (await admin.get('/audit')).text();
    const rows = audit.split('<tr>').filter((row) => row.includes(`<td>${builder.id}</td>`));
    // Newest first.
    expect(rows.map((row) => /<code>(builder\.[a-z_]+)<\/code>/.exec(row)?.[1])).toEqual([
      'builder.revoke',
      'builder.cancel_drain',
      'builder.drain',
    ]);
    for (const row of rows) expect(row).toContain('<td>admin:admin</td>');
  });

  it('says a builder offers Docker in builds, and what that risks, only while one does', async () => {
    const admin = await asBuiltInAdmin();
    const plain = await join();
    expect(await (await admin.get('/fleet')).text()).not.toContain('Docker in builds');
    const offering = await SimulatedBuilder.join(gyre.base, TEST_SECRETS.GYRE_JOIN_SECRET, {
      name: `admin-test-${++count}`,
      dockerInBuilds: 'remote',
    });
    const page = await (await admin.get('/fleet')).text();
    const row = page.split('<tr>').find((r) => r.includes(`admin-test-${count}<br>`))!;
    expect(row).toContain('Docker in builds: setup_remote_docker (rootless engine per job; see the kernel risk)');
    expect(page).toContain("runs without Docker's seccomp and AppArmor profiles");
    expect(page.split('<tr>').find((r) => r.includes(`admin-test-${count - 1}<br>`))).not.toContain('Docker in builds');
    for (const builder of [plain, offering]) await admin.submit('/fleet', `/fleet/${builder.id}/revoke`, {});
    expect(await (await admin.get('/fleet')).text()).not.toContain('Docker in builds');
  });

  it('names the administrator account in the audit log, and shows a refused action on the page', async () => {
    const { browser: ada } = await signIn('ada', 'correct horse battery');
    const builder = await join();
    const bad = await ada.submit('/fleet', `/fleet/${builder.id}/drain`, { deadline: 'soon' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('is not a duration');
    expect(await builderState(builder.id)).toBe('active');
    expect((await ada.submit('/fleet', `/fleet/${builder.id}/cancel-drain`, {})).status).toBe(409);
    expect((await ada.submit('/fleet', `/fleet/${builder.id}/drain`, { deadline: '1h' })).status).toBe(303);
    const audit = await (await ada.get('/audit')).text();
    expect(audit).toMatch(new RegExp(`<td>admin:ada</td><td><code>builder.drain</code></td><td>${builder.id}</td>`));
  });

  it('refuses actions posted without the CSRF token', async () => {
    const admin = await asBuiltInAdmin();
    const builder = await join();
    for (const action of ['drain', 'revoke'])
      expect((await admin.post(`/fleet/${builder.id}/${action}`, { deadline: '1m' })).status).toBe(403);
    expect(await builderState(builder.id)).toBe('active');
    expect((await admin.post('/settings/join-secret', { grace: '1h' })).status).toBe(403);
    expect((await admin.post('/settings/webhooks', { webhookBaseUrl: 'https://evil.example' })).status).toBe(403);
  });
});

describe('the queue page', () => {
  it('shows the depth, the oldest job and why each job waits', async () => {
    const project = (await (
      await gyre.api('/api/v1/projects', { body: { name: 'admin/q', gitUrl: 'https://git.example.com/q.git' } })
    ).json()) as { id: number };
    await seedWorkflow(db, project.id, [{ name: 'too-big', cpus: 64, memoryGiB: 4 }]);
    const page = await (await (await asBuiltInAdmin()).get('/queue')).text();
    expect(page).toMatch(/Depth: <strong>[1-9]\d*<\/strong>/);
    expect(page).toContain('oldest queued at');
    expect(page).toContain('too-big');
    // Every builder here is simulated with 4 slots of 2 CPUs and 4 GiB.
    expect(page).toContain('needs 64 CPU / 4 GiB; the largest builder has 8 CPU / 16 GiB for jobs');
  });
});

describe('the projects page', () => {
  it("grants and withdraws a project's Docker in builds, saying the risk, audited under the administrator's name", async () => {
    const project = (await (
      await gyre.api('/api/v1/projects', { body: { name: 'admin/docker', gitUrl: 'https://git.example.com/d.git' } })
    ).json()) as { id: number };
    const { browser: ada } = await signIn('ada', 'correct horse battery');
    const rowOf = (page: string) => page.split('<tr>').find((r) => r.includes('<td>admin/docker</td>'))!;
    const before = await (await ada.get('/projects')).text();
    expect(before).toContain('could become root on the builder');
    expect(rowOf(before)).toContain('not allowed');

    expect(
      (await ada.submit('/projects', `/projects/${project.id}/docker-in-builds`, { allowed: 'true' })).status,
    ).toBe(303);
    expect(rowOf(await (await ada.get('/projects')).text())).toContain('<span class="warning">allowed</span>');
    expect(rowOf(await (await ada.get('/projects')).text())).not.toContain("forks' pull requests too");
    await gyre.api(`/api/v1/projects/${project.id}`, { method: 'PATCH', body: { passSecretsToForks: true } });
    expect(rowOf(await (await ada.get('/projects')).text())).toContain("forks' pull requests too");
    expect(await (await gyre.api(`/api/v1/projects/${project.id}`)).json()).toMatchObject({ dockerInBuilds: true });
    expect(await (await ada.get('/audit')).text()).toMatch(
      new RegExp(`<td>admin:ada</td><td><code>project.docker_in_builds</code></td><td>project:${project.id}</td>`),
    );

    expect(
      (await ada.submit('/projects', `/projects/${project.id}/docker-in-builds`, { allowed: 'false' })).status,
    ).toBe(303);
    expect(rowOf(await (await ada.get('/projects')).text())).toContain('not allowed');
    const gone = await ada.submit('/projects', '/projects/999999/docker-in-builds', { allowed: 'true' });
    expect(gone.status).toBe(404);
    expect(await gone.text()).toContain('project 999999');
  });

  it("keeps the grant out of the project's own settings, which its maintainers change", async () => {
    const project = (await (
      await gyre.api('/api/v1/projects', { body: { name: 'admin/patch', gitUrl: 'https://git.example.com/p.git' } })
    ).json()) as { id: number };
    const patched = await gyre.api(`/api/v1/projects/${project.id}`, {
      method: 'PATCH',
      body: { dockerInBuilds: true },
    });
    expect(patched.status).toBe(400);
    expect(await (await gyre.api(`/api/v1/projects/${project.id}`)).json()).toMatchObject({ dockerInBuilds: false });
  });
});

describe('the contexts page', () => {
  it('creates a context and a group, sets a variable without ever showing it, and restricts the context', async () => {
    const admin = await asBuiltInAdmin();
    expect((await admin.submit('/contexts', '/contexts', { name: 'release' })).status).toBe(303);
    expect((await admin.submit('/contexts', '/groups', { name: 'ops' })).status).toBe(303);
    expect((await admin.submit('/contexts', '/groups/ops/members', { login: 'bob' })).status).toBe(303);
    const value = 'release-token-abcdef1234';
    const set = await admin.submit('/contexts/release', '/contexts/release/variables', {
      variable: 'RELEASE_TOKEN',
      value,
    });
    expect(set.status).toBe(303);
    const restricted = await admin.submit('/contexts/release', '/contexts/release/restrictions', {
      groupsMode: 'some',
      groups: 'ops',
      projectsMode: 'all',
    });
    expect(restricted.status).toBe(303);

    const page = await (await admin.get('/contexts/release')).text();
    expect(page).toContain('<code>RELEASE_TOKEN</code>');
    expect(page).toContain('…1234');
    expect(page).not.toContain(value);
    const list = await (await admin.get('/contexts')).text();
    expect(list).toMatch(
      /<a href="\/contexts\/release">release<\/a><\/td>\s*<td>1<\/td>\s*<td>ops<\/td>\s*<td>every project<\/td>/,
    );
    expect(list).toContain('<li>bob');
    const api = (await (await gyre.api('/api/v1/contexts/release')).json()) as { groups: string[] };
    expect(api.groups).toEqual(['ops']);
    const audited = await db.query<{ actor: string; action: string }>(
      "SELECT actor, action FROM audit_log WHERE target IN ('context:release', 'group:ops') ORDER BY id",
    );
    expect(audited.rows).toEqual([
      { actor: 'admin:admin', action: 'context.create' },
      { actor: 'admin:admin', action: 'group.create' },
      { actor: 'admin:admin', action: 'group.member_add' },
      { actor: 'admin:admin', action: 'context.variable_set' },
      { actor: 'admin:admin', action: 'context.restrict' },
    ]);
  });

  it('names every problem with a form, and refuses unknown groups and accounts', async () => {
    const admin = await asBuiltInAdmin();
    const badVariable = await admin.submit('/contexts/release', '/contexts/release/variables', {
      variable: '1 bad name',
      value: '',
    });
    expect(badVariable.status).toBe(400);
    expect(await badVariable.text()).toContain('must be a variable name');
    const badName = await admin.submit('/contexts', '/contexts', { name: 'two words' });
    expect(badName.status).toBe(400);
    expect(await badName.text()).toMatch(/<li>name: must be letters, digits/);
    const stranger = await admin.submit('/contexts', '/groups/ops/members', { login: 'nobody-here' });
    expect(stranger.status).toBe(404);
    expect(await stranger.text()).toContain('the account &quot;nobody-here&quot; does not exist');
    const missing = await admin.get('/contexts/no-such-context');
    expect(missing.status).toBe(404);
  });
});

describe('the orbs page', () => {
  it('imports a packed orb from the form, lists it, refuses bad input with every problem named, and removes it', async () => {
    const admin = await asBuiltInAdmin();
    const yaml = 'version: 2.1\ncommands:\n  greet:\n    steps:\n      - run: echo hello\n';
    expect((await admin.submit('/orbs', '/orbs', { ref: 'acme/greeter@1.0.0', yaml })).status).toBe(303);
    const list = await (await admin.get('/orbs')).text();
    expect(list).toMatch(
      /<td><code>acme\/greeter@1\.0\.0<\/code><\/td>\s*<td><code title="[0-9a-f]{64}">[0-9a-f]{12}<\/code><\/td>\s*<td>admin:admin<\/td>/,
    );

    const badRef = await admin.submit('/orbs', '/orbs', { ref: 'acme/greeter@1.0', yaml });
    expect(badRef.status).toBe(400);
    expect(await badRef.text()).toContain('must name a release version, such as 7.2.1');
    const badYaml = await admin.submit('/orbs', '/orbs', {
      ref: 'acme/broken@1.0.0',
      yaml: 'version: 2.1\ncommands: [1]\nextra: 1\n',
    });
    expect(badYaml.status).toBe(400);
    const refusal = await badYaml.text();
    expect(refusal).toContain('acme/broken@1.0.0 line 2, column 11 (commands)');
    expect(refusal).toContain('acme/broken@1.0.0 line 3, column 1 (extra)');
    const changed = await admin.submit('/orbs', '/orbs', { ref: 'acme/greeter@1.0.0', yaml: `${yaml}# changed\n` });
    expect(changed.status).toBe(409);

    expect((await admin.submit('/orbs', '/orbs/acme/greeter/1.0.0/remove', {})).status).toBe(303);
    expect(await (await admin.get('/orbs')).text()).toContain('No orb imported yet');
    const audited = await db.query<{ actor: string; action: string }>(
      "SELECT actor, action FROM audit_log WHERE target = 'orb:acme/greeter@1.0.0' ORDER BY id",
    );
    expect(audited.rows).toEqual([
      { actor: 'admin:admin', action: 'orb.import' },
      { actor: 'admin:admin', action: 'orb.remove' },
    ]);
  });
});

describe('the settings page', () => {
  it('shows a rotated join secret once, and the old secret keeps working for the grace period', async () => {
    const admin = await asBuiltInAdmin();
    const rotated = await admin.submit('/settings', '/settings/join-secret', { grace: '1h' });
    expect(rotated.status).toBe(200);
    expect(rotated.headers.get('cache-control')).toBe('no-store');
    const secret = /data-testid="new-join-secret">([^<]+)</.exec(await rotated.text())?.[1];
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await (await admin.get('/settings')).text()).not.toContain(secret!);
    await expect(join(secret)).resolves.toBeInstanceOf(SimulatedBuilder);
    await expect(join(TEST_SECRETS.GYRE_JOIN_SECRET)).resolves.toBeInstanceOf(SimulatedBuilder);
    expect(await (await admin.get('/audit')).text()).toContain('join_secret.rotate');
  });

  it('lists every problem with a form at once and keeps what was entered', async () => {
    const admin = await asBuiltInAdmin();
    const bad = await admin.submit('/settings', '/settings/resource-classes', {
      classes: 'small 1 2048\nBIG x 10\nsmall 2',
      defaultClass: 'nope',
    });
    expect(bad.status).toBe(400);
    const html = await bad.text();
    const problems =
      /<section class="card" id="resource-classes">[\s\S]*?<ul class="error" role="alert">([\s\S]*?)<\/ul>/.exec(
        html,
      )?.[1] ?? '';
    expect(problems.match(/<li>/g)).toHaveLength(4);
    expect(problems).toContain('classes line 2: CPUs');
    expect(problems).toContain('defaultClass');
    expect(html).toContain('BIG x 10');
    const webhooks = await admin.submit('/settings', '/settings/webhooks', {
      webhookBaseUrl: 'ftp://ci.example.com/?a=1',
    });
    expect(webhooks.status).toBe(400);
    expect((await webhooks.text()).match(/<li>webhookBaseUrl/g)).toHaveLength(2);
  });

  it('stores the webhook base URL, resource classes and GitHub app, never showing the client secret', async () => {
    const admin = await asBuiltInAdmin();
    const saved = [
      await admin.submit('/settings', '/settings/webhooks', { webhookBaseUrl: 'https://hooks.example.com/' }),
      await admin.submit('/settings', '/settings/resource-classes', {
        classes: 'small 1 2048\ngpu 8 32768',
        defaultClass: 'small',
      }),
      await admin.submit('/settings', '/settings/github', {
        baseUrl: 'https://ghe.example.com',
        apiUrl: '',
        clientId: 'Iv1.0123',
        clientSecret: 'very-secret-value-42',
      }),
    ];
    expect(saved.map((answer) => [answer.status, answer.headers.get('location')?.split('?')[0]])).toEqual([
      [303, '/settings'],
      [303, '/settings'],
      [303, '/settings'],
    ]);
    const page = await (await admin.get('/settings')).text();
    expect(page).toContain('https://hooks.example.com/webhooks/github');
    // The API hands out webhook URLs on the override from then on.
    const created = (await (
      await gyre.api('/api/v1/projects', {
        body: { name: 'acme/hooks', gitUrl: 'https://git.example.com/acme/hooks.git' },
      })
    ).json()) as { id: number; webhookUrl: string };
    expect(created.webhookUrl).toBe(`https://hooks.example.com/webhooks/github?project=${created.id}`);
    expect(page).toContain('<td><code>gpu</code></td><td>8</td><td>32768</td>');
    expect(page).toContain('value="https://ghe.example.com/api/v3"');
    expect(page).toContain('(set; leave empty to keep it)');
    expect(page).not.toContain('very-secret-value-42');
    const stored = await db.query<{ value: { clientSecretSealed: string } }>(
      "SELECT value FROM runtime_settings WHERE key = 'github.app'",
    );
    expect(JSON.stringify(stored.rows[0]!.value)).not.toContain('very-secret-value-42');

    // Saving again without a secret keeps the stored one.
    await admin.submit('/settings', '/settings/github', {
      baseUrl: 'https://ghe.example.com',
      apiUrl: '',
      clientId: 'Iv1.4567',
      clientSecret: '',
    });
    expect(await (await admin.get('/settings')).text()).toContain('(set; leave empty to keep it)');
    const audit = await (await admin.get('/audit')).text();
    expect(audit).toContain('settings.update');
    expect(audit).toContain('github.app');
    expect(audit).not.toContain('very-secret-value-42');

    // The commit status token is sealed the same way, never shown back, kept when left empty, and removable.
    const token = 'ghp_status0token0value0123456789abcd';
    expect(page).toContain('(not set: no commit statuses are posted)');
    await admin.submit('/settings', '/settings/github', {
      baseUrl: 'https://ghe.example.com',
      apiUrl: '',
      clientId: 'Iv1.4567',
      clientSecret: '',
      statusToken: token,
    });
    await admin.submit('/settings', '/settings/github', {
      baseUrl: 'https://ghe.example.com',
      apiUrl: '',
      clientId: 'Iv1.4567',
      clientSecret: '',
      statusToken: '',
    });
    const withToken = await (await admin.get('/settings')).text();
    expect(withToken).toContain('Remove the status token');
    expect(withToken).not.toContain(token);
    const sealed = await db.query<{ value: { statusTokenSealed?: string } }>(
      "SELECT value FROM runtime_settings WHERE key = 'github.app'",
    );
    expect(sealed.rows[0]!.value.statusTokenSealed).toEqual(expect.any(String));
    expect(JSON.stringify(sealed.rows[0]!.value)).not.toContain(token);
    expect(await (await admin.get('/audit')).text()).not.toContain(token);
    await admin.submit('/settings', '/settings/github', {
      baseUrl: 'https://ghe.example.com',
      apiUrl: '',
      clientId: 'Iv1.4567',
      clientSecret: '',
      statusToken: '',
      removeStatusToken: 'on',
    });
    expect(await (await admin.get('/settings')).text()).toContain('(not set: no commit statuses are posted)');
    expect(await (await admin.get('/settings')).text()).toContain('(set; leave empty to keep it)');

    // An empty webhook base URL goes back to GYRE_PUBLIC_URL.
    expect((await admin.submit('/settings', '/settings/webhooks', { webhookBaseUrl: '' })).status).toBe(303);
    expect(await (await admin.get('/settings')).text()).not.toContain('https://hooks.example.com/webhooks/github');
    expect(
      ((await (await gyre.api(`/api/v1/projects/${created.id}`)).json()) as { webhookUrl: string }).webhookUrl,
    ).toBe(`${gyre.base.replace('127.0.0.1', 'localhost')}/webhooks/github?project=${created.id}`);
    expect(await (await admin.get('/audit')).text()).toContain('settings.reset');
  });
});

describe('the Backups page', () => {
  it('says scheduled backups are off, and shows the runs with what reading each back found', async () => {
    // GIVEN no GYRE_BACKUP_SCHEDULE, and two runs recorded (as an earlier schedule left them)
    const admin = await asBuiltInAdmin();
    expect(await (await admin.get('/backups')).text()).toContain('Scheduled backups are off');
    await db.query(
      `INSERT INTO backups (slot, name, destination, state, finished_at, gyre, schema_version, database_bytes,
         blobs, blobs_added, blob_bytes_added, verification, verification_detail)
       VALUES ('2026-12-06T03:00:00Z', '2026-12-06T03-00-00Z', '/var/lib/gyre/backups', 'succeeded', now(), '0.1.0',
         29, 1048576, 12, 3, 4096, 'passed', 'read back: 2 files match their checksums')`,
    );
    await db.query(
      `INSERT INTO backups (slot, name, destination, state, finished_at, error)
       VALUES ('2026-12-07T03:00:00Z', '2026-12-07T03-00-00Z', '/var/lib/gyre/backups', 'failed', now(),
         'pg_dump exited with 1: connection refused')`,
    );

    // WHEN an administrator opens the page
    const page = await (await admin.get('/backups')).text();

    // THEN the last backup is the failed one, with its reason; the good one shows its read-back
    expect(page).toMatch(
      /Last backup<\/h2>\s*<p>\s*<span class="state state-failed">failed<\/span> 2026-12-07T03-00-00Z/,
    );
    expect(page).toContain('pg_dump exited with 1: connection refused');
    expect(page).toContain('<span class="state state-passed">passed</span>');
    expect(page).toContain('1 MiB');
    expect(page).toMatch(/docker cp gyre-services-app-1:\/\S+\/backups \.\/gyre-backups\ngyre backup verify/);

    // AND the API lists the same runs, newest first, for administrators' tokens
    const answer = (await (await gyre.api('/api/v1/backups')).json()) as {
      schedule: string | null;
      items: { name: string; state: string }[];
    };
    expect(answer.schedule).toBeNull();
    expect(answer.items.map((run) => [run.name, run.state])).toEqual([
      ['2026-12-07T03-00-00Z', 'failed'],
      ['2026-12-06T03-00-00Z', 'succeeded'],
    ]);
  });
});
