import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { QueuedJobsSignal } from '../../src/services/scheduler/queued-jobs-signal.js';
import { startMigratedDatabase, type MigratedDatabase } from '../support/postgres.js';
import { seedWorkflow } from '../support/seed-jobs.js';

// GIVEN Gyre's PostgreSQL with the schema migrated (its statement triggers on `jobs` included), a
// project, and the signal listening on a connection of the pool.
let database: MigratedDatabase;
let signal: QueuedJobsSignal;
let projectId: number;

/**
 * Whether the signal woke a waiter while `act` ran, within `timeoutMs`: the waiter's own timer is
 * far longer, so only a wake-up (or the signal stopping) can end its wait first.
 */
async function wokeDuring(act: () => Promise<unknown>, timeoutMs = 10_000): Promise<boolean> {
  const woken = signal.wait(10 * 60_000).then(() => 'woken');
  const later = new Promise((resolve) => setTimeout(resolve, timeoutMs, 'quiet'));
  await act();
  return (await Promise.race([woken, later])) === 'woken';
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (const started = Date.now(); !check(); ) {
    if (Date.now() - started > 30_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  database = await startMigratedDatabase();
  projectId = Number((await database.db.query<{ id: string }>("INSERT INTO projects (name, git_url, webhook_secret) VALUES ('signal/p', 'https://git.example.com/p.git', '\\x00') RETURNING id")).rows[0]!.id);
  signal = new QueuedJobsSignal(database.db, pino({ level: 'silent' }));
  signal.start();
  await until('the signal to listen', () => signal.listening);
}, 120_000);

afterAll(async () => {
  await signal?.stop();
  await database?.stop();
}, 60_000);

describe('QueuedJobsSignal on a real PostgreSQL', () => {
  it('wakes waiters when a statement queues jobs', async () => {
    expect(await wokeDuring(() => seedWorkflow(database.db, projectId, [{ name: 'a' }, { name: 'b' }]))).toBe(true);
  });

  it('stays quiet for changes that queue nothing, and wakes when blocked jobs are queued', async () => {
    let workflowId = 0;
    // The seed queues `first`: its notification arrives before the quiet part begins.
    expect(await wokeDuring(async () => ({ workflowId } = await seedWorkflow(database.db, projectId, [{ name: 'first' }, { name: 'then', requires: ['first'] }])))).toBe(true);
    expect(await wokeDuring(() => database.db.query("UPDATE jobs SET state = 'running' WHERE workflow_id = $1 AND state = 'queued'", [workflowId]), 1_500)).toBe(false);
    expect(await wokeDuring(() => database.db.query("UPDATE jobs SET state = 'queued', queued_at = now() WHERE workflow_id = $1 AND state = 'blocked'", [workflowId]))).toBe(true);
  });

  it('does not miss a notification that arrives between a look for jobs and the wait', async () => {
    const mark = signal.mark;
    await seedWorkflow(database.db, projectId, [{ name: 'in-between' }]);
    await until('the notification', () => signal.mark !== mark);
    const waited = signal.wait(60_000, mark).then(() => 'woken');
    const later = new Promise((resolve) => setTimeout(resolve, 5_000, 'still waiting'));
    expect(await Promise.race([waited, later])).toBe('woken');
  });

  it('listens again after its connection is killed, and wakes waiters once it is back', async () => {
    const terminated = await database.db.query<{ n: number }>(
      "SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE query LIKE 'LISTEN gyre_jobs_queued%' AND pid <> pg_backend_pid()",
    );
    expect(terminated.rows[0]!.n).toBe(1);
    await until('the signal to notice', () => !signal.listening);
    await until('the signal to listen again', () => signal.listening);
    expect(await wokeDuring(() => seedWorkflow(database.db, projectId, [{ name: 'after-reconnect' }]))).toBe(true);
  }, 60_000);

  it('wakes every waiter when it stops', async () => {
    const other = new QueuedJobsSignal(database.db, pino({ level: 'silent' }));
    other.start();
    await until('the second signal to listen', () => other.listening);
    const waiting = other.wait(60_000).then(() => 'woken');
    await other.stop();
    const later = new Promise((resolve) => setTimeout(resolve, 5_000, 'still waiting'));
    expect(await Promise.race([waiting, later])).toBe('woken');
    expect(other.listening).toBe(false);
    // A stopped signal keeps nobody waiting: long-polls answer a closing server at once.
    const afterStop = other.wait(60_000).then(() => 'woken');
    expect(await Promise.race([afterStop, new Promise((resolve) => setTimeout(resolve, 5_000, 'still waiting'))])).toBe('woken');
  });
});
