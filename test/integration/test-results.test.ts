/**
 * A job's test results through the real services app on a real PostgreSQL: recorded as the
 * builder transfer route records them, then read through `GET /api/v1/jobs/:id/tests` and the
 * job page, by a viewer of the project and by someone who may not see it.
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import type { TestResultsResponse } from '../../src/api/responses.js';
import { createDatabasePool, type Database } from '../../src/services/database/create-pool.js';
import { createApiToken } from '../../src/services/stores/accounts/api-tokens.js';
import { TestResultStore, type TestResultFile } from '../../src/services/stores/test-results/test-result-store.js';
import { seedWorkflow } from '../support/seed-jobs.js';
import { startServicesUnderTest, TEST_SECRETS, type ServicesUnderTest } from '../support/services-under-test.js';
import { SimulatedBuilder } from '../support/simulated-builder.js';
import { WebClient } from '../support/web-client.js';

// GIVEN the services app, maya's private project in which vera is a viewer, and nora, who
// maintains a project of her own but has no role in maya's; a job of maya's project ran and its
// store_test_results step uploaded reports of jest, pytest and Surefire, one of them cut off, and
// one naming a test with markup in it.

const PASSWORD = 'a long enough password';
let gyre: ServicesUnderTest;
let db: Database;
const tokens = new Map<string, string>();
let jobId: number;
let untestedJobId: number;
let recorded: Awaited<ReturnType<TestResultStore['record']>>;

const HOSTILE = `<testsuite name="xss"><testcase classname="ui" name="renders &lt;script&gt;alert(1)&lt;/script&gt;">
<failure message="&lt;img src=x onerror=alert(2)&gt; was shown">&lt;b&gt;bold&lt;/b&gt;</failure></testcase></testsuite>`;

const fixture = (name: string): TestResultFile => ({
  path: `test-results/${name}`,
  content: readFileSync(new URL(`../fixtures/junit/${name}`, import.meta.url)),
});

const api = (login: string, path: string) =>
  fetch(`${gyre.base}${path}`, { headers: { authorization: `Bearer ${tokens.get(login)}` } });
const testsOf = async (login: string, query = ''): Promise<TestResultsResponse> => {
  const response = await api(login, `/api/v1/jobs/${jobId}/tests${query}`);
  expect(response.status).toBe(200);
  return (await response.json()) as TestResultsResponse;
};

beforeAll(async () => {
  gyre = await startServicesUnderTest();
  db = createDatabasePool(gyre.database.url, pino({ level: 'silent' }));
  for (const login of ['maya', 'vera', 'nora']) {
    gyre.createAccount(login, PASSWORD);
    const user = await db.query<{ id: string }>('SELECT id FROM users WHERE login = $1', [login]);
    tokens.set(login, (await createApiToken(db, `${login}'s token`, Number(user.rows[0]!.id))).token);
  }
  const create = async (login: string, name: string) => {
    const response = await fetch(`${gyre.base}/api/v1/projects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.get(login)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, gitUrl: 'git://127.0.0.1:1/x.git' }),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: number }).id;
  };
  const projectId = await create('maya', 'acme/tested');
  await create('nora', 'nora/own');
  const membership = await fetch(`${gyre.base}/api/v1/projects/${projectId}/members/vera`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${tokens.get('maya')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ role: 'viewer' }),
  });
  expect(membership.status).toBe(200);

  await seedWorkflow(db, projectId, [{ name: 'test' }, { name: 'lint' }]);
  const builder = await SimulatedBuilder.join(gyre.base, TEST_SECRETS.GYRE_JOIN_SECRET, { name: 'tests-builder' });
  const { leases } = await builder.lease(2);
  expect(leases).toHaveLength(2);
  [jobId, untestedJobId] = leases.map((lease) => lease.jobId).sort((a, b) => a - b) as [number, number];

  // What the transfer route does with the files of an upload.
  recorded = await new TestResultStore(db).record(
    jobId,
    1,
    Readable.from([
      fixture('jest-junit.xml'),
      fixture('pytest-junitxml.xml'),
      fixture('TEST-com.shape.CircleTest.xml'),
      fixture('pytest-truncated.xml'),
      { path: 'test-results/xss.xml', content: Buffer.from(HOSTILE) },
    ]),
  );
  for (const lease of leases) await builder.run(lease, 'failed');
}, 300_000);

afterAll(async () => {
  await db?.end();
  await gyre?.stop();
}, 120_000);

describe('GET /api/v1/jobs/:id/tests', () => {
  it('answers a viewer the totals of every readable report, and the cut-off one as a warning', async () => {
    const results = await testsOf('vera', '?limit=200');
    // jest 6 + pytest 10 + Surefire 8 + the markup one 1; the cut-off report adds nothing.
    expect(results.totals).toEqual({ tests: 25, failures: 8, errors: 1, skipped: 3, timeSeconds: 0.064 });
    expect(results).toMatchObject({ attempt: 1, casesStored: 25, nextCursor: null });
    expect(results.items).toHaveLength(25);
    expect(results.warnings).toEqual([
      expect.stringMatching(/^test-results\/pytest-truncated\.xml: not valid XML: it ends before closing <testsuites>/),
    ]);
    expect(recorded.warnings).toEqual(results.warnings);
  });

  it('lists only the failed cases with their messages for ?status=failed, a page at a time', async () => {
    const failed = await testsOf('vera', '?status=failed');
    expect(failed.items.filter((c) => c.result === 'failed')).toHaveLength(8);
    expect(failed.items.filter((c) => c.result === 'error')).toHaveLength(1);
    expect(failed.items).toHaveLength(9);
    expect(failed.items.find((c) => c.name === 'testRadius')).toMatchObject({
      suite: 'com.shape.CircleTest',
      classname: '',
      file: null,
      result: 'failed',
      message: 'expected:<20> but was:<10>',
      details: expect.stringContaining('junit.framework.AssertionFailedError'),
    });
    expect(failed.items.find((c) => c.name === 'testProperties')).toMatchObject({
      result: 'error',
      message: '/ by zero',
    });

    const first = await testsOf('vera', '?status=failed&limit=5');
    expect(first.items).toHaveLength(5);
    const second = await testsOf('vera', `?status=failed&limit=5&after=${first.nextCursor}`);
    expect(second.nextCursor).toBeNull();
    expect([...first.items, ...second.items]).toEqual(failed.items);
  });

  it('answers a job without results with empty totals, and refuses a bad query', async () => {
    const response = await api('vera', `/api/v1/jobs/${untestedJobId}/tests`);
    expect(await response.json()).toEqual({
      attempt: null,
      totals: { tests: 0, failures: 0, errors: 0, skipped: 0, timeSeconds: 0 },
      casesStored: 0,
      warnings: [],
      items: [],
      nextCursor: null,
    });
    expect((await api('vera', `/api/v1/jobs/${jobId}/tests?status=passed`)).status).toBe(400);
  });

  it('answers 404 to a maintainer of another project, as for a job that does not exist', async () => {
    const refused = await api('nora', `/api/v1/jobs/${jobId}/tests`);
    expect(refused.status).toBe(404);
    expect(JSON.stringify(await refused.json())).not.toContain('testRadius');
    expect((await api('vera', '/api/v1/jobs/999999999/tests')).status).toBe(404);
  });
});

describe('the job page', () => {
  it('shows the totals and the failed tests with their messages, escaped', async () => {
    const vera = new WebClient(gyre.base);
    expect((await vera.submit('/login', '/login', { login: 'vera', password: PASSWORD })).status).toBe(302);
    const html = await (await vera.get(`/jobs/${jobId}`)).text();
    expect(html).toContain('<h2>Tests</h2>');
    expect(html).toMatch(
      /<strong>25<\/strong> tests in 0\.064s: 13 passed, <span class="state state-failed">8 failed<\/span>/,
    );
    expect(html).toContain('<strong class="test-name">testRadius</strong>');
    expect(html).toContain('<pre class="test-message">expected:&lt;20&gt; but was:&lt;10&gt;</pre>');
    expect(html).toContain('test-results/pytest-truncated.xml: not valid XML');
    // A report's text is the build's text: shown, never run.
    expect(html).toContain('renders &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&lt;img src&#x3D;x onerror&#x3D;alert(2)&gt; was shown');
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<b>bold</b>');

    const untested = await (await vera.get(`/jobs/${untestedJobId}`)).text();
    expect(untested).not.toContain('<h2>Tests');
  });
});
