/**
 * Scheduler benchmark (issue 4): a queue of 100k jobs (workflows of 10), 50 simulated builders speaking the real
 * protocol over HTTP (lease, ack, complete) from a process of their own, for a fixed time. Baseline, same run and database:
 * the bare SQL claim (`FOR UPDATE SKIP LOCKED`) and completion with no HTTP and no fencing, at the
 * same concurrency. Prints claim latency p50/p99, jobs per second, and the ratio to the baseline.
 * Everything shares one 2-core machine, so read the ratio rather than the absolute numbers.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { createDatabasePool, type Database } from '../src/services/database/create-pool.js';
import { startServicesUnderTest, TEST_SECRETS } from '../test/support/services-under-test.js';
import { round, summarise, type Summary } from './stats.js';

const JOBS = Number(process.env['BENCH_JOBS'] ?? 100_000);
const BUILDERS = Number(process.env['BENCH_BUILDERS'] ?? 50);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 30);

/** JOBS queued jobs in workflows of 10, as real pipelines have, inserted in one statement. */
async function seedQueue(db: Database, projectId: number): Promise<void> {
  await db.query(
    `WITH p AS (INSERT INTO pipelines (project_id, number, trigger, ref, branch, sha, state) VALUES ($1, 1, 'api', 'refs/heads/main', 'main', $2, 'created') RETURNING id),
     w AS (INSERT INTO workflows (pipeline_id, name, state) SELECT p.id, 'w' || g, 'running' FROM p, generate_series(1, $3::int / 10) g RETURNING id)
     INSERT INTO jobs (workflow_id, name, requires, spec, state, queued_at, cpus, memory_bytes)
     SELECT w.id, 'j' || k, '{}', '{"steps": []}', 'queued', clock_timestamp(), 2, 4294967296 FROM w, generate_series(1, 10) k`,
    [projectId, 'c'.repeat(40), JOBS],
  );
  // A real queue grows over time and autovacuum keeps the planner's statistics; right after one
  // bulk insert they still describe empty tables, and the plans of both runs would be an
  // artefact of this set-up (the protocol's lease and completion were 50 times slower).
  await db.query('ANALYZE');
}

/** The builders run in a process of their own (scheduler-builders.ts), as real ones would. */
async function runProtocol(base: string): Promise<Summary> {
  const output = await new Promise<string>((resolve, reject) => {
    let out = '';
    const child = spawn(
      process.execPath,
      [
        join(dirname(fileURLToPath(import.meta.url)), 'scheduler-builders.js'),
        base,
        TEST_SECRETS.GYRE_JOIN_SECRET,
        String(BUILDERS),
        String(SECONDS),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    child.stdout.on('data', (data: Buffer) => (out += data.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`the simulated builders exited with ${code}`)),
    );
  });
  const { latencies, completed, elapsedMs } = JSON.parse(output) as {
    latencies: number[];
    completed: number;
    elapsedMs: number;
  };
  return summarise(latencies, completed, elapsedMs);
}

async function runRawSql(db: Database): Promise<Summary> {
  const latencies: number[] = [];
  let completed = 0;
  const started = performance.now();
  const end = started + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: BUILDERS }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        const claimed = await db.query<{ id: string }>(
          `UPDATE jobs SET state = 'leased' WHERE id IN (SELECT id FROM jobs WHERE state = 'queued' ORDER BY queue_priority, queued_at, id LIMIT 4 FOR UPDATE SKIP LOCKED) RETURNING id`,
        );
        latencies.push(performance.now() - t);
        for (const row of claimed.rows) {
          await db.query("UPDATE jobs SET state = 'success' WHERE id = $1", [row.id]);
          completed++;
        }
      }
    }),
  );
  return summarise(latencies, completed, performance.now() - started);
}

async function main(): Promise<void> {
  const gyre = await startServicesUnderTest();
  const db = createDatabasePool(gyre.database.url, pino({ level: 'silent' }));
  try {
    const project = (await (
      await gyre.api('/api/v1/projects', { body: { name: 'bench/p', gitUrl: 'https://git.example.com/p.git' } })
    ).json()) as { id: number };
    await seedQueue(db, project.id);
    const protocol = await runProtocol(gyre.base);
    await db.query("UPDATE jobs SET state = 'queued', builder_id = NULL WHERE state <> 'queued'");
    const raw = await runRawSql(db);
    const rows = [
      { run: `gyre protocol (HTTP, ${BUILDERS} builders)`, ...protocol },
      { run: `baseline: bare SQL claim (${BUILDERS} clients)`, ...raw },
    ].map((r) => ({
      run: r.run,
      jobs: r.count,
      'claim p50 ms': round(r.p50),
      'claim p99 ms': round(r.p99),
      'jobs/s': round(r.perSecond),
    }));
    console.log(`\nScheduler: ${JOBS} queued jobs, ${SECONDS}s per run\n`);
    console.table(rows);
    console.log(
      `throughput ratio gyre/baseline: ${round(protocol.perSecond / raw.perSecond)}; claim p50 ratio: ${round(protocol.p50 / raw.p50)}`,
    );
  } finally {
    await db.end();
    await gyre.stop();
  }
}

await main();
