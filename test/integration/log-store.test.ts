import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Database } from '../../src/services/database/create-pool.js';
import { LogStore } from '../../src/services/stores/logs/log-store.js';
import { type LogChunk } from '../../src/services/core/logs/log-chunk.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../../src/shared/errors.js';
import { startMigratedDatabase, type MigratedDatabase } from '../support/postgres.js';
import { insertTestJob } from '../support/test-jobs.js';

const MiB = 1024 * 1024;
let database: MigratedDatabase;
let db: Database;
let logs: LogStore;

beforeAll(async () => {
  database = await startMigratedDatabase();
  db = database.db;
  // Above the 64 MiB default cap, so that the 100 MiB log below is stored whole.
  logs = new LogStore(db, { maxAttemptBytes: 128 * MiB });
}, 180_000);

afterAll(async () => {
  await database?.stop();
}, 60_000);

/** A seeded generator, so that a failing order of chunks can be replayed. */
function seededRandom(seed: number): (below: number) => number {
  let state = seed >>> 0;
  return (below) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * below);
  };
}

/** Cuts `data` into `steps` consecutive steps of chunks from 1 byte to 128 KiB (64 KiB on average). */
function cutIntoChunks(jobId: number, data: Buffer, steps: number, random: (below: number) => number): LogChunk[] {
  const chunks: LogChunk[] = [];
  const stepBytes = Math.ceil(data.length / steps);
  for (let step = 0; step < steps; step++) {
    const end = Math.min((step + 1) * stepBytes, data.length);
    for (let offset = step * stepBytes, seq = 0; offset < end; seq++) {
      const size = Math.min(1 + random(128 * 1024), end - offset);
      chunks.push({ jobId, attempt: 1, step, seq, data: data.subarray(offset, offset + size) });
      offset += size;
    }
  }
  return chunks;
}

function shuffle<T>(items: T[], random: (below: number) => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** Runs `work` over the items with at most `limit` in flight, like an agent's sender pool. */
async function runConcurrently<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < items.length; index = next++) results[index] = await work(items[index]!);
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const piece of stream) hash.update(piece as Buffer);
  return hash.digest('hex');
}

async function readAll(stream: Readable): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const piece of stream) pieces.push(piece as Buffer);
  return Buffer.concat(pieces);
}

describe('LogStore with 100 MB sent in shuffled chunks with duplicates', () => {
  const random = seededRandom(20240607);
  const original = randomBytes(100 * MiB);
  let jobId: number;
  let chunks: LogChunk[];
  let duplicates: number;
  let results: { stored: boolean }[];

  beforeAll(async () => {
    jobId = await insertTestJob(db);
    chunks = cutIntoChunks(jobId, original, 4, random);
    const resent = chunks.filter(() => random(10) === 0).map((chunk) => ({ ...chunk, data: Buffer.from(chunk.data) }));
    duplicates = resent.length;
    results = await runConcurrently(shuffle([...chunks, ...resent], random), 8, (chunk) => logs.append(chunk));
  }, 120_000);

  it('stores every chunk once and answers resends as already stored', async () => {
    expect(results.filter((r) => !r.stored)).toHaveLength(duplicates);
    const stored = await db.query<{ n: string }>('SELECT count(*) AS n FROM log_chunks WHERE job_id = $1', [jobId]);
    expect(Number(stored.rows[0]!.n)).toBe(chunks.length);
  });

  it("counts every stored byte once in the attempt's usage, resends and concurrency notwithstanding", async () => {
    const usage = await db.query<{ bytes: string }>('SELECT bytes FROM log_usage WHERE job_id = $1 AND attempt = 1', [
      jobId,
    ]);
    expect(Number(usage.rows[0]!.bytes)).toBe(original.length);
  });

  it('streams the whole log back byte-exact', async () => {
    const view = await logs.open(jobId);
    expect(view).toMatchObject({ jobId, attempt: 1, attempts: [1], size: original.length });
    expect(await sha256Of(logs.stream(view))).toBe(createHash('sha256').update(original).digest('hex'));
  }, 60_000);

  it('reads byte ranges at random offsets exactly, across chunk and step boundaries', async () => {
    const view = await logs.open(jobId, 1);
    const stepBoundary = Math.ceil(original.length / 4);
    const ranges = [
      { start: 0, end: 1 },
      { start: original.length - 1, end: original.length },
      { start: stepBoundary - 5, end: stepBoundary + 5 },
      ...Array.from({ length: 25 }, () => {
        const start = random(original.length);
        return { start, end: Math.min(start + 1 + random(3 * MiB), original.length) };
      }),
    ];
    for (const range of ranges) {
      const read = await readAll(logs.stream(view, range));
      expect({ range, equal: read.equals(original.subarray(range.start, range.end)) }).toEqual({ range, equal: true });
    }
  }, 60_000);

  it('reports the log complete', async () => {
    const report = await logs.completeness(jobId, 1);
    expect(report.complete).toBe(true);
    expect(report.steps.map((s) => s.step)).toEqual([0, 1, 2, 3]);
    expect(report.steps.reduce((total, s) => total + s.bytes, 0)).toBe(original.length);
  });
});

describe('LogStore', () => {
  const chunk = (jobId: number, key: Partial<LogChunk> & { text: string }): LogChunk => ({
    jobId,
    attempt: 1,
    step: 0,
    seq: 0,
    ...key,
    data: Buffer.from(key.text),
  });

  it('rejects the same key with different bytes as a protocol violation that names the key', async () => {
    const jobId = await insertTestJob(db);
    await logs.append(chunk(jobId, { seq: 3, text: 'hello\n' }));
    const changed = logs.append(chunk(jobId, { seq: 3, text: 'HELLO\n' }));
    await expect(changed).rejects.toThrow(ConflictError);
    await expect(changed).rejects.toThrow(`job ${jobId} attempt 1 step 0 seq 3 is already stored with different bytes`);
    expect(await readAll(logs.stream(await logs.open(jobId)))).toEqual(Buffer.from('hello\n'));
  });

  it('shows the latest attempt by default, and every attempt after its own separator line on request', async () => {
    const jobId = await insertTestJob(db, { attempt: 2 });
    for (const piece of [
      chunk(jobId, { text: 'cloning' }),
      chunk(jobId, { attempt: 2, text: 'cloning\n' }),
      chunk(jobId, { attempt: 2, step: 1, text: 'ok\n' }),
    ]) {
      await logs.append(piece);
    }
    expect((await readAll(logs.stream(await logs.open(jobId)))).toString()).toBe('cloning\nok\n');
    expect((await readAll(logs.stream(await logs.open(jobId, 1)))).toString()).toBe('cloning');
    const all = await logs.open(jobId, 'all');
    const text = '--- attempt 1 ---\ncloning\n--- attempt 2 ---\ncloning\nok\n';
    expect(all).toMatchObject({ attempt: 'all', attempts: [1, 2], size: text.length });
    expect((await readAll(logs.stream(all))).toString()).toBe(text);
    expect((await readAll(logs.stream(all, { start: 20, end: 40 }))).toString()).toBe(text.slice(20, 40));
  });

  it('reads an attempt that has not written anything yet as empty, and an attempt that never was as not found', async () => {
    const jobId = await insertTestJob(db, { attempt: 1 });
    expect(await logs.open(jobId)).toMatchObject({ attempt: 1, size: 0 });
    expect((await readAll(logs.stream(await logs.open(jobId)))).length).toBe(0);
    await expect(logs.open(jobId, 2)).rejects.toThrow(new NotFoundError(`attempt 2 of job ${jobId}`));
    await expect(logs.open(jobId + 1000)).rejects.toThrow(new NotFoundError(`job ${jobId + 1000}`));
  });

  it('reports a missing seq, and a missing last chunk when told the final seq', async () => {
    const jobId = await insertTestJob(db);
    for (const seq of [0, 1, 3]) await logs.append(chunk(jobId, { seq, text: `line ${seq}\n` }));
    const report = await logs.completeness(jobId, 1);
    expect(report).toMatchObject({
      complete: false,
      steps: [{ step: 0, chunks: 3, highestSeq: 3, missingCount: 1, missingSeqs: [2] }],
    });
    await logs.append(chunk(jobId, { seq: 2, text: 'line 2\n' }));
    expect((await logs.completeness(jobId, 1)).complete).toBe(true);
    const expected = await logs.completeness(jobId, 1, { 0: 4, 1: 0 });
    expect(expected.steps).toMatchObject([
      { step: 0, missingCount: 1, missingSeqs: [4] },
      { step: 1, chunks: 0, highestSeq: -1, missingCount: 1, missingSeqs: [0] },
    ]);
    expect(expected.complete).toBe(false);
  });

  it('rejects chunks with bad keys or too many bytes, naming every bad input', async () => {
    const bad = { jobId: 0, attempt: -1, step: 1.5, seq: 2 ** 31, data: Buffer.alloc(MiB + 1) };
    const appended = logs.append(bad);
    await expect(appended).rejects.toThrow(InvalidInputError);
    await expect(appended).rejects.toMatchObject({
      problems: ['jobId', 'attempt', 'step', 'seq', 'data'].map((input) => expect.objectContaining({ input })),
    });
  });

  it('rejects a chunk of a job that does not exist as not found', async () => {
    await expect(logs.append({ jobId: 999_999, attempt: 1, step: 0, seq: 0, data: Buffer.from('x') })).rejects.toThrow(
      new NotFoundError('job 999999'),
    );
  });
});
