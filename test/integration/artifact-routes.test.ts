import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import type { StoredBlob } from '../../src/services/blobs/blob-store.js';
import { createDatabasePool, type Database } from '../../src/services/database/create-pool.js';
import { createApiToken } from '../../src/services/stores/accounts/api-tokens.js';
import { ArtifactStore } from '../../src/services/stores/artifacts/artifact-store.js';
import { recordAttempt, workflowOf } from '../support/job-data.js';
import { MemoryBlobStore } from '../support/memory-blob-store.js';
import { startServicesUnderTest, type ServicesUnderTest } from '../support/services-under-test.js';
import { WebClient } from '../support/web-client.js';

// GIVEN the services app on a real PostgreSQL with an in-memory blob store, a private project
// whose job stored artifacts (an HTML page with a script, a binary, a file with spaces and
// non-ASCII in its name, an empty file), vera who may view the project and nora who may not,
// WHEN they list and download the artifacts with API tokens and web sessions,
// THEN viewers get every byte, or the range they ask for, always as an attachment that cannot run
// as Gyre's page, and the job page lists them with sizes; nora learns nothing, not even that the
// job exists.

const PASSWORD = 'a long enough password';
const blobs = new MemoryBlobStore();
let gyre: ServicesUnderTest;
let db: Database;
let jobId: number;
const tokens: Record<'vera' | 'nora', string> = { vera: '', nora: '' };
const browsers: Partial<Record<'vera' | 'nora', WebClient>> = {};
const files: Record<string, Buffer> = {
  'reports/index.html': Buffer.from('<script>alert(document.cookie)</script><h1>coverage</h1>'),
  'dist/app.bin': randomBytes(300 * 1024),
  'dist/my app #2 (ü)%.txt': Buffer.from('odd name'),
  'empty.txt': Buffer.alloc(0),
};
const TYPES: Record<string, string> = {
  'reports/index.html': 'text/html; charset=utf-8',
  'dist/app.bin': 'application/octet-stream',
  'dist/my app #2 (ü)%.txt': 'text/plain; charset=utf-8',
  'empty.txt': 'text/plain; charset=utf-8',
};

const urlPath = (path: string) => path.split('/').map(encodeURIComponent).join('/');
const apiFetch = (who: 'vera' | 'nora', path: string, init: { method?: string; range?: string } = {}) =>
  fetch(`${gyre.base}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${tokens[who]}`, ...(init.range && { range: init.range }) },
  });
const download = (path: string, init: { method?: string; range?: string } = {}) =>
  apiFetch('vera', `/api/v1/jobs/${jobId}/artifacts/${urlPath(path)}`, init);

beforeAll(async () => {
  gyre = await startServicesUnderTest({ blobs });
  db = createDatabasePool(gyre.database.url, pino({ level: 'silent' }));
  for (const login of ['maya', 'vera', 'nora'] as const) gyre.createAccount(login, PASSWORD);
  const userId = async (login: string) =>
    Number((await db.query<{ id: string }>('SELECT id FROM users WHERE login = $1', [login])).rows[0]!.id);
  const maya = (await createApiToken(db, 'maya', await userId('maya'))).token;
  for (const login of ['vera', 'nora'] as const) {
    tokens[login] = (await createApiToken(db, login, await userId(login))).token;
    const browser = new WebClient(gyre.base);
    expect((await browser.submit('/login', '/login', { login, password: PASSWORD })).status).toBe(302);
    browsers[login] = browser;
  }
  const asMaya = (path: string, method: string, body: unknown) =>
    fetch(`${gyre.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${maya}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const created = await asMaya('/api/v1/projects', 'POST', {
    name: 'acme/artifacts',
    gitUrl: 'https://git.example/x.git',
  });
  const project = (await created.json()) as { id: number };
  expect((await asMaya(`/api/v1/projects/${project.id}/members/vera`, 'PUT', { role: 'viewer' })).status).toBe(200);

  // The job's first attempt stored an artifact the second does not list; the second stored the files above.
  jobId = (await workflowOf(db, project.id, [{ name: 'build' }])).ids['build']!;
  const artifacts = new ArtifactStore(db);
  await recordAttempt(db, jobId, 1, 'infrastructure_failed');
  const stale: StoredBlob = await blobs.putBytes('from the lost attempt');
  await artifacts.add(jobId, 1, { path: 'stale.txt', blob: stale, contentType: 'text/plain' });
  await recordAttempt(db, jobId, 2, 'success');
  for (const [path, bytes] of Object.entries(files))
    await artifacts.add(jobId, 2, { path, blob: await blobs.putBytes(bytes), contentType: TYPES[path]! });
}, 300_000);

afterAll(async () => {
  await db?.end();
  await gyre?.stop();
}, 120_000);

describe('artifacts for people', () => {
  it("lists the newest attempt's artifacts with sizes and URLs the token can download", async () => {
    const answer = await apiFetch('vera', `/api/v1/jobs/${jobId}/artifacts`);
    expect(answer.status).toBe(200);
    const list = (await answer.json()) as { attempt: number; items: { path: string; size: number; url: string }[] };
    const port = new URL(gyre.base).port;
    expect(list).toEqual({
      attempt: 2,
      items: Object.keys(files)
        .sort()
        .map((path) => ({
          path,
          size: files[path]!.length,
          contentType: TYPES[path],
          url: `http://localhost:${port}/api/v1/jobs/${jobId}/artifacts/${urlPath(path)}`,
        })),
    });
    for (const item of list.items) {
      const got = await apiFetch('vera', new URL(item.url).pathname);
      expect({ path: item.path, status: got.status }).toEqual({ path: item.path, status: 200 });
      expect(Buffer.from(await got.arrayBuffer()).equals(files[item.path]!)).toBe(true);
    }
  });

  it('downloads as an attachment that is never sniffed and runs sandboxed, by API token and web session', async () => {
    const html = files['reports/index.html']!;
    const viaWeb = await browsers.vera!.get(`/jobs/${jobId}/artifacts/reports/index.html`);
    for (const answer of [await download('reports/index.html'), viaWeb]) {
      expect(answer.status).toBe(200);
      expect(Object.fromEntries(answer.headers)).toMatchObject({
        'content-type': 'text/html; charset=utf-8',
        'content-disposition': `attachment; filename="index.html"; filename*=UTF-8''index.html`,
        'x-content-type-options': 'nosniff',
        'content-security-policy': 'sandbox',
        'accept-ranges': 'bytes',
        'content-length': String(html.length),
      });
      expect(await answer.text()).toBe(html.toString());
    }
  });

  it('names a file with spaces, # and non-ASCII characters exactly, with an ASCII fallback', async () => {
    const answer = await download('dist/my app #2 (ü)%.txt');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-disposition')).toBe(
      `attachment; filename="my app #2 (_)%.txt"; filename*=UTF-8''my%20app%20%232%20%28%C3%BC%29%25.txt`,
    );
    expect(await answer.text()).toBe('odd name');
  });

  it('answers byte ranges with 206, and a range past the end with 416', async () => {
    const bin = files['dist/app.bin']!;
    const size = bin.length;
    for (const [range, start, end] of [
      ['bytes=100-199', 100, 199],
      ['bytes=-10', size - 10, size - 1],
      [`bytes=${size - 5}-`, size - 5, size - 1],
      [`bytes=0-${size + 1000}`, 0, size - 1],
    ] as const) {
      const answer = await download('dist/app.bin', { range });
      expect({ range, status: answer.status, contentRange: answer.headers.get('content-range') }).toEqual({
        range,
        status: 206,
        contentRange: `bytes ${start}-${end}/${size}`,
      });
      expect(answer.headers.get('content-disposition')).toMatch(/^attachment;/);
      expect(Buffer.from(await answer.arrayBuffer()).equals(bin.subarray(start, end + 1))).toBe(true);
    }
    const past = await download('dist/app.bin', { range: `bytes=${size}-` });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${size}`);
    expect(((await past.json()) as { error: { code: string } }).error.code).toBe('range_not_satisfiable');
    // A range header Gyre does not serve (several ranges) gets the whole file, as HTTP allows
    const several = await download('dist/app.bin', { range: 'bytes=0-1,5-6' });
    expect(several.status).toBe(200);
    expect((await several.arrayBuffer()).byteLength).toBe(size);
  });

  it('answers HEAD with the size and no body, and sends an empty file', async () => {
    const head = await download('dist/app.bin', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(files['dist/app.bin']!.length));
    expect(await head.text()).toBe('');
    const empty = await download('empty.txt');
    expect(empty.status).toBe(200);
    expect(empty.headers.get('content-length')).toBe('0');
    expect(await empty.text()).toBe('');
  });

  it('answers 404 for a path the newest attempt did not store, and for everything to who may not see the project', async () => {
    expect((await download('stale.txt')).status).toBe(404);
    expect((await download('reports')).status).toBe(404);
    for (const path of [`/api/v1/jobs/${jobId}/artifacts`, `/api/v1/jobs/${jobId}/artifacts/reports/index.html`])
      expect((await apiFetch('nora', path)).status).toBe(404);
    const noraPage = await browsers.nora!.get(`/jobs/${jobId}/artifacts/reports/index.html`);
    expect(noraPage.status).toBe(404);
    expect(noraPage.headers.get('content-disposition')).toBeNull();
    expect(await noraPage.text()).not.toContain('coverage');
    // A stranger is sent to sign in first
    const stranger = await new WebClient(gyre.base).get(`/jobs/${jobId}/artifacts/reports/index.html`);
    expect(stranger.status).toBe(302);
    expect(stranger.headers.get('location')).toMatch(/^\/login\?next=/);
  });

  it('lists the artifacts on the job page with their sizes and download links', async () => {
    const page = await browsers.vera!.get(`/jobs/${jobId}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const section = html.slice(html.indexOf('<section class="card artifacts"'));
    expect(section).toContain(`<a href="/jobs/${jobId}/artifacts/reports/index.html" download>reports/index.html</a>`);
    expect(section).toContain(
      `<a href="/jobs/${jobId}/artifacts/dist/my%20app%20%232%20(%C3%BC)%25.txt" download>dist/my app #2 (ü)%.txt</a>`,
    );
    expect(section).toContain('<td class="size">300 KiB</td>');
    expect(section).toContain('<td class="size">0 bytes</td>');
    expect(section).not.toContain('stale.txt');
  });
});
