/**
 * The log route over real HTTP on a real PostgreSQL. The app here is a small Fastify instance
 * with the API's error shape and the log routes only: token authentication is registered by
 * register-api.ts around every API route and is tested there, so it is left out on purpose.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/services/database/create-pool.js';
import { LogStore } from '../../src/services/stores/logs/log-store.js';
import { serveLogRoutes } from '../support/log-app.js';
import { startMigratedDatabase, type MigratedDatabase } from '../support/postgres.js';
import { insertTestJob } from '../support/test-jobs.js';

let database: MigratedDatabase;
let db: Database;
let app: FastifyInstance;
let base: string;
let jobId: number;
/** Attempt 2's output: 3 MiB in chunks of 100 KiB over two steps, so ranges cross read batches. */
const output = randomBytes(3 * 1024 * 1024);

beforeAll(async () => {
  database = await startMigratedDatabase();
  db = database.db;
  const logs = new LogStore(db);
  jobId = await insertTestJob(db, { attempt: 2 });
  await logs.append({ jobId, attempt: 1, step: 0, seq: 0, data: Buffer.from('lost the builder') });
  const half = output.length / 2;
  for (const [step, bytes] of [output.subarray(0, half), output.subarray(half)].entries()) {
    for (let offset = 0, seq = 0; offset < bytes.length; offset += 100 * 1024, seq++) {
      await logs.append({ jobId, attempt: 2, step, seq, data: bytes.subarray(offset, offset + 100 * 1024) });
    }
  }
  ({ app, base } = await serveLogRoutes({ db, logs }));
}, 180_000);

afterAll(async () => {
  await app?.close();
  await database?.stop();
}, 60_000);

const getLog = (query = '', headers: Record<string, string> = {}) =>
  fetch(`${base}/api/v1/jobs/${jobId}/log${query}`, { headers });
const bytesOf = async (response: Response) => Buffer.from(await response.arrayBuffer());

describe('GET /api/v1/jobs/:id/log', () => {
  it('streams the latest attempt as text with its length', async () => {
    const response = await getLog();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(response.headers.get('content-length')).toBe(String(output.length));
    expect(response.headers.get('accept-ranges')).toBe('bytes');
    expect((await bytesOf(response)).equals(output)).toBe(true);
  });

  it('answers HEAD with the length and no body, so a viewer can poll how far the log has grown', async () => {
    const response = await fetch(`${base}/api/v1/jobs/${jobId}/log`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(output.length));
    expect((await bytesOf(response)).length).toBe(0);
  });

  it('answers a byte range with 206 and its Content-Range', async () => {
    const response = await getLog('', { range: 'bytes=1000000-2000000' });
    expect(response.status).toBe(206);
    expect(response.headers.get('content-range')).toBe(`bytes 1000000-2000000/${output.length}`);
    expect(response.headers.get('content-length')).toBe('1000001');
    expect((await bytesOf(response)).equals(output.subarray(1_000_000, 2_000_001))).toBe(true);
  });

  it('answers a suffix range with the tail of the log', async () => {
    const response = await getLog('', { range: 'bytes=-10' });
    expect(response.status).toBe(206);
    expect((await bytesOf(response)).equals(output.subarray(-10))).toBe(true);
  });

  it('answers 416 with the log size for a range past the end', async () => {
    const response = await getLog('', { range: `bytes=${output.length}-` });
    expect(response.status).toBe(416);
    expect(response.headers.get('content-range')).toBe(`bytes */${output.length}`);
    expect(await response.json()).toMatchObject({ error: { code: 'range_not_satisfiable' } });
  });

  it('serves an earlier attempt, or all attempts each after a separator line', async () => {
    expect(await (await getLog('?attempt=1')).text()).toBe('lost the builder');
    const all = await bytesOf(await getLog('?attempt=all'));
    const expected = Buffer.concat([Buffer.from('--- attempt 1 ---\nlost the builder\n--- attempt 2 ---\n'), output]);
    expect(all.equals(expected)).toBe(true);
  });

  it('answers 404 for an unknown job or attempt and 400 for a malformed attempt', async () => {
    expect((await fetch(`${base}/api/v1/jobs/999999/log`)).status).toBe(404);
    expect(await (await getLog('?attempt=3')).json()).toMatchObject({
      error: { code: 'not_found', message: `attempt 3 of job ${jobId} does not exist` },
    });
    expect((await getLog('?attempt=first')).status).toBe(400);
  });
});
