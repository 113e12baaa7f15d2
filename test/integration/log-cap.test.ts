/**
 * The size cap of an attempt's log on a real PostgreSQL: past the cap one marker is stored, the
 * agent's later chunks are acknowledged but dropped, and reads end with the marker.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Database } from '../../src/services/database/create-pool.js';
import { LogStore } from '../../src/services/stores/logs/log-store.js';
import { TRUNCATION_STEP } from '../../src/services/core/logs/log-cap.js';
import { ConflictError } from '../../src/shared/errors.js';
import { startMigratedDatabase, type MigratedDatabase } from '../support/postgres.js';
import { insertTestJob } from '../support/test-jobs.js';

let database: MigratedDatabase;
let db: Database;
let logs: LogStore;
const marker = '\n[gyre] log truncated at 1 KiB; the job kept running\n';

beforeAll(async () => {
  database = await startMigratedDatabase();
  db = database.db;
  logs = new LogStore(db, { maxAttemptBytes: 1024 });
}, 180_000);

afterAll(async () => {
  await database?.stop();
}, 60_000);

const readAll = async (jobId: number) => {
  const parts: Buffer[] = [];
  for await (const part of logs.stream(await logs.open(jobId))) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
};
const chunk = (jobId: number, step: number, seq: number, fill: string) => ({
  jobId,
  attempt: 1,
  step,
  seq,
  data: Buffer.from(fill.repeat(400)),
});

describe('the size cap of an attempt', () => {
  it('stores one marker at the cap, acknowledges later chunks without storing them, and reads end with the marker', async () => {
    const jobId = await insertTestJob(db);
    expect(await logs.append(chunk(jobId, 0, 0, 'a'))).toEqual({ stored: true, truncated: false });
    expect(await logs.append(chunk(jobId, 0, 1, 'b'))).toEqual({ stored: true, truncated: false });
    expect(await logs.append(chunk(jobId, 0, 2, 'c'))).toEqual({ stored: false, truncated: true });
    expect(await logs.append(chunk(jobId, 1, 0, 'd'))).toEqual({ stored: false, truncated: true });
    expect(await readAll(jobId)).toBe('a'.repeat(400) + 'b'.repeat(400) + marker);
    const markers = await db.query('SELECT 1 FROM log_chunks WHERE job_id = $1 AND step = $2', [
      jobId,
      TRUNCATION_STEP,
    ]);
    expect(markers.rowCount).toBe(1);
  });

  it('answers resends of stored and of dropped chunks as acknowledged, and still rejects a changed stored chunk', async () => {
    const jobId = await insertTestJob(db);
    for (const seq of [0, 1, 2]) await logs.append(chunk(jobId, 0, seq, 'x'));
    expect(await logs.append(chunk(jobId, 0, 0, 'x'))).toEqual({ stored: false, truncated: true });
    expect(await logs.append(chunk(jobId, 0, 2, 'x'))).toEqual({ stored: false, truncated: true });
    expect(await logs.append({ ...chunk(jobId, 0, 2, 'y') })).toEqual({ stored: false, truncated: true });
    await expect(logs.append(chunk(jobId, 0, 1, 'y'))).rejects.toThrow(ConflictError);
    expect(await readAll(jobId)).toBe('x'.repeat(800) + marker);
  });

  it('stores the marker once when many appends over the cap race', async () => {
    // The log is filled to just below the cap first: the cap's check takes no lock (append-chunk.ts),
    // so appends racing from an empty log may all pass it on a loaded machine and store no marker.
    const jobId = await insertTestJob(db);
    for (const seq of [0, 1]) await logs.append(chunk(jobId, 0, seq, 'z'));
    const racing = Array.from({ length: 18 }, (_, i) => logs.append(chunk(jobId, 0, i + 2, 'z')));
    const results = await Promise.all(racing);
    expect(results.every((r) => r.truncated && !r.stored)).toBe(true);
    const markers = await db.query('SELECT 1 FROM log_chunks WHERE job_id = $1 AND step = $2', [
      jobId,
      TRUNCATION_STEP,
    ]);
    expect(markers.rowCount).toBe(1);
    expect((await readAll(jobId)).endsWith(marker)).toBe(true);
  });

  it('keeps the cap per attempt, so a retry starts with an empty log', async () => {
    const jobId = await insertTestJob(db, { attempt: 2 });
    for (const seq of [0, 1, 2]) await logs.append(chunk(jobId, 0, seq, 'p'));
    expect(await logs.append({ ...chunk(jobId, 0, 0, 'q'), attempt: 2 })).toEqual({ stored: true, truncated: false });
  });
});
