/**
 * The live log stream over real HTTP on a real PostgreSQL: many SSE readers follow one job while
 * its chunks arrive out of order, through one shared poller. The app is a bare Fastify with the
 * API's error shape and the log routes, as in log-routes.test.ts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/services/database/create-pool.js';
import { LogStore } from '../../src/services/stores/logs/log-store.js';
import { LiveLogHub } from '../../src/services/features/logs/live-log-hub.js';
import { type LogChunk } from '../../src/services/core/logs/log-chunk.js';
import { serveLogRoutes } from '../support/log-app.js';
import { startMigratedDatabase, type MigratedDatabase } from '../support/postgres.js';
import { insertTestJob } from '../support/test-jobs.js';
import { until } from '../support/until.js';

let database: MigratedDatabase;
let db: Database;
let app: FastifyInstance;
let logs: LogStore;
let live: LiveLogHub;
let base: string;

beforeAll(async () => {
  database = await startMigratedDatabase();
  db = database.db;
  logs = new LogStore(db);
  live = new LiveLogHub(db, { pollIntervalMs: 300 });
  ({ app, base } = await serveLogRoutes({ db, logs, live }));
}, 180_000);

afterAll(async () => {
  await app?.close();
  await database?.stop();
}, 60_000);

interface SseEvent {
  readonly event: string;
  readonly data: string;
  readonly id?: string;
}

/** A minimal SSE client: the events of one response, resolved when the server ends it. */
async function followLog(
  jobId: number,
  options: { readonly lastEventId?: string; readonly signal?: AbortSignal; readonly onOpen?: () => void } = {},
): Promise<SseEvent[]> {
  const headers: Record<string, string> =
    options.lastEventId === undefined ? {} : { 'last-event-id': options.lastEventId };
  const response = await fetch(`${base}/api/v1/jobs/${jobId}/log/stream`, { headers, signal: options.signal });
  expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  options.onOpen?.();
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '' && !block.startsWith(':'))
    .map(parseEvent);
}

/**
 * Starts following a job's log. `opened` resolves once the stream is open; if the reader fails
 * first (a failed assertion on the response, say), it rejects with that failure itself.
 */
function startFollowing(
  jobId: number,
  options: { readonly signal?: AbortSignal } = {},
): { readonly opened: Promise<void>; readonly events: Promise<SseEvent[]> } {
  let markOpen!: () => void;
  const open = new Promise<void>((resolve) => (markOpen = resolve));
  const events = followLog(jobId, { ...options, onOpen: () => markOpen() });
  const endedFirst = events.then(() => {
    throw new Error(`the log stream of job ${jobId} ended before it was open`);
  });
  return { opened: Promise.race([open, endedFirst]), events };
}

function parseEvent(block: string): SseEvent {
  const fields = new Map(
    block.split('\n').map((line) => [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)]),
  );
  return { event: fields.get('event') ?? 'message', data: fields.get('data') ?? '', id: fields.get('id') };
}

const textOf = (events: readonly SseEvent[]) =>
  events
    .filter((e) => e.event === 'log')
    .map((e) => (JSON.parse(e.data) as { text: string }).text)
    .join('');

/** Three steps of numbered lines with multi-byte characters, cut at byte positions (inside characters too). */
function makeChunks(jobId: number): { full: Buffer; chunks: LogChunk[] } {
  const steps = [0, 1, 2].map((step) =>
    Buffer.from(Array.from({ length: 200 }, (_, line) => `step ${step} line ${line} ✓ é\n`).join(''), 'utf8'),
  );
  const chunks = steps.flatMap((bytes, step) =>
    Array.from({ length: Math.ceil(bytes.length / 333) }, (_, seq) => ({
      jobId,
      attempt: 1,
      step,
      seq,
      data: bytes.subarray(seq * 333, (seq + 1) * 333),
    })),
  );
  return { full: Buffer.concat(steps), chunks };
}

/**
 * Reports steps as the protocol orders them while chunks arrive in any order: a user step is
 * reported started once every chunk of the steps before it is stored, and finished once its own
 * are (step 0 is the runner's set-up output, which has no reports).
 */
async function reportSteps(
  jobId: number,
  chunks: readonly LogChunk[],
  stored: ReadonlySet<LogChunk>,
  reported: Map<number, 'started' | 'finished'>,
): Promise<void> {
  const steps = [...new Set(chunks.map((c) => c.step))].sort((a, b) => a - b);
  const allStored = (step: number) => chunks.filter((c) => c.step === step).every((c) => stored.has(c));
  for (const step of steps.filter((s) => s > 0)) {
    if (!reported.has(step) && steps.filter((s) => s < step).every(allStored)) {
      await db.query(
        "INSERT INTO job_steps (job_id, attempt, index, name, user_step, status, started_at) VALUES ($1, 1, $2, $3, true, 'started', now())",
        [jobId, step, `step ${step}`],
      );
      reported.set(step, 'started');
    }
    if (reported.get(step) === 'started' && allStored(step)) {
      await db.query(
        "UPDATE job_steps SET status = 'finished', exit_code = 0, finished_at = now() WHERE job_id = $1 AND attempt = 1 AND index = $2",
        [jobId, step],
      );
      reported.set(step, 'finished');
    }
  }
}

/** Reorders chunks within windows of 5 (across step boundaries too), so they arrive out of order as concurrent sends would. */
function reorder<T>(items: readonly T[]): T[] {
  const windows = Array.from({ length: Math.ceil(items.length / 5) }, (_, i) =>
    items.slice(i * 5, i * 5 + 5).reverse(),
  );
  return windows.flat();
}

describe('GET /api/v1/jobs/:id/log/stream', () => {
  let jobId: number;
  let full: Buffer;
  let followed: SseEvent[][];

  it('sends 20 readers the whole log in order, then end, from one poller', async () => {
    jobId = await insertTestJob(db);
    const made = makeChunks(jobId);
    full = made.full;
    const [first, later] = [made.chunks.slice(0, 10), reorder(made.chunks.slice(10))];
    const stored = new Set<LogChunk>();
    const reported = new Map<number, 'started' | 'finished'>();
    for (const chunk of first) {
      await logs.append(chunk);
      stored.add(chunk);
    }
    const readers = Array.from({ length: 20 }, () => startFollowing(jobId));
    await Promise.all(readers.map((reader) => reader.opened));
    expect(live.pollerCount).toBe(1);
    for (const chunk of later) {
      await logs.append(chunk);
      stored.add(chunk);
      await reportSteps(jobId, made.chunks, stored, reported);
      await sleep(2_000 / later.length);
    }
    expect([...reported.values()]).toEqual(['finished', 'finished']);
    expect(live.pollerCount).toBe(1);
    await db.query(`UPDATE jobs SET state = 'success' WHERE id = $1`, [jobId]);
    followed = await Promise.all(readers.map((reader) => reader.events));
    for (const events of followed) {
      expect(textOf(events)).toBe(full.toString('utf8'));
      expect(events.at(-1)).toEqual({ event: 'end', data: JSON.stringify({ offset: full.length }), id: undefined });
    }
    expect(live.pollerCount).toBe(0);
  }, 60_000);

  it('resumes after Last-Event-ID with only the rest of the log', async () => {
    const middle = followed[0]!.filter((e) => e.event === 'log')[20]!;
    const events = await followLog(jobId, { lastEventId: middle.id });
    expect(textOf(events)).toBe(full.subarray(Number(middle.id)).toString('utf8'));
    expect(JSON.parse(events[0]!.data)).toMatchObject({ offset: Number(middle.id) });
    expect(events.at(-1)?.event).toBe('end');
  });

  it('stops polling when the last reader of a running job disconnects', async () => {
    const running = await insertTestJob(db);
    const controller = new AbortController();
    const reader = startFollowing(running, { signal: controller.signal });
    await reader.opened;
    expect(live.pollerCount).toBe(1);
    controller.abort();
    // The job still runs, so the stream ends only by this reader's abort.
    expect(await reader.events.then(String, (error: unknown) => (error as Error).name)).toBe('AbortError');
    await until('the poller to stop', () => live.pollerCount === 0, { timeoutMs: 5_000, intervalMs: 50 });
  });

  it('ends the stream of a reader who may no longer read it, e.g. removed from the project', async () => {
    let allowed = true;
    const guarded = new LiveLogHub(db, { pollIntervalMs: 300, accessRecheckMs: 200 });
    const served = await serveLogRoutes({ db, logs, live: guarded }, { stillAllowed: () => Promise.resolve(allowed) });
    try {
      const running = await insertTestJob(db);
      const response = await fetch(`${served.base}/api/v1/jobs/${running}/log/stream`);
      expect(response.status).toBe(200);
      const text = response.text();
      await sleep(500);
      allowed = false;
      const events = (await text)
        .split('\n\n')
        .filter((block) => block.trim() !== '' && !block.startsWith(':'))
        .map(parseEvent);
      expect(events.at(-1)).toMatchObject({
        event: 'error',
        data: expect.stringContaining('you may no longer read this log'),
      });
      await until('the poller to stop', () => guarded.pollerCount === 0, { timeoutMs: 5_000, intervalMs: 50 });
    } finally {
      await served.app.close();
    }
  });

  it('wakes a poller when this process stores a chunk, rather than leaving it to the next poll', async () => {
    // GIVEN a hub that would poll again only after 10 minutes, and a reader of a running job
    const sleepy = new LiveLogHub(db, { pollIntervalMs: 600_000 });
    const served = await serveLogRoutes({ db, logs, live: sleepy });
    try {
      const running = await insertTestJob(db);
      const response = await fetch(`${served.base}/api/v1/jobs/${running}/log/stream`);
      expect(response.status).toBe(200);
      const text = response.text();
      await until('the poller', () => sleepy.pollerCount === 1, { timeoutMs: 5_000, intervalMs: 50 });
      // Its first poll (found nothing) is over well within this; the next one is 10 minutes away.
      await sleep(1_000);
      // WHEN the job ends and then its last chunk is stored here
      await db.query(`UPDATE jobs SET state = 'success' WHERE id = $1`, [running]);
      await logs.append({ jobId: running, attempt: 1, step: 0, seq: 0, data: Buffer.from('stored here\n') });
      // THEN the reader gets it and the end at once (the test's limit is far below the poll interval)
      const events = (await text)
        .split('\n\n')
        .filter((block) => block.trim() !== '' && !block.startsWith(':'))
        .map(parseEvent);
      expect(textOf(events)).toBe('stored here\n');
      expect(events.at(-1)?.event).toBe('end');
    } finally {
      await served.app.close();
    }
  }, 30_000);

  it('answers 404 for an unknown job and 400 for attempt=all', async () => {
    expect((await fetch(`${base}/api/v1/jobs/999999/log/stream`)).status).toBe(404);
    expect((await fetch(`${base}/api/v1/jobs/1/log/stream?attempt=all`)).status).toBe(400);
  });
});
