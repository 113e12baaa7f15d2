import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { pino } from 'pino';
import { NOTIFY_CHANNELS } from '../../src/services/database/notification-channels.js';
import { DatabaseNotifications, type ChangeSignal } from '../../src/services/database/notifications.js';
import { startMigratedDatabase, type MigratedDatabase } from '../support/postgres.js';
import { seedWorkflow } from '../support/seed-jobs.js';
import { until } from '../support/until.js';

// GIVEN Gyre's PostgreSQL with the schema migrated (its notifying triggers included), a project,
// a builder, and a queued-jobs signal listening on a connection of the pool.
let database: MigratedDatabase;
let notifications: DatabaseNotifications;
let signal: ChangeSignal;
let projectId: number;
let builderId: number;
let probe: TriggerProbe;

const SENTINEL = 'gyre_test_sentinel';

/**
 * A plain LISTEN on every channel, to see which notifications a change sends. PostgreSQL delivers
 * notifications in commit order, so once a sentinel sent after the change has arrived, everything
 * the change sent has arrived too: no waiting for time to prove that nothing came.
 */
class TriggerProbe {
  private received: string[] = [];
  private sentinelArrived: (() => void) | undefined;

  private constructor(private readonly client: pg.Client) {
    client.on('notification', (message) => {
      if (message.channel === SENTINEL) this.sentinelArrived?.();
      else this.received.push(message.channel);
    });
  }

  static async start(url: string): Promise<TriggerProbe> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    for (const channel of [...Object.values(NOTIFY_CHANNELS), SENTINEL]) await client.query(`LISTEN ${channel}`);
    return new TriggerProbe(client);
  }

  /** The channels notified by what `change` committed. */
  async channelsNotifiedBy(change: () => Promise<unknown>): Promise<string[]> {
    this.received = [];
    await change();
    const arrived = new Promise<void>((resolve) => (this.sentinelArrived = resolve));
    await database.db.query('SELECT pg_notify($1, $2)', [SENTINEL, '']);
    await arrived;
    return this.received;
  }

  stop(): Promise<void> {
    return this.client.end();
  }
}

/** Resolves 'woken' when the signal wakes a waiter, 'not woken' when `timeoutMs` passes first. */
function wakeOf(waiting: Promise<void>, timeoutMs = 10_000): Promise<string> {
  return Promise.race([
    waiting.then(() => 'woken'),
    new Promise<string>((resolve) => setTimeout(resolve, timeoutMs, 'not woken')),
  ]);
}

/** How these tests wait for the signal's state: a look every 50 ms, for up to 30 s. */
const POLL = { timeoutMs: 30_000, intervalMs: 50 };

beforeAll(async () => {
  database = await startMigratedDatabase();
  projectId = Number(
    (
      await database.db.query<{ id: string }>(
        "INSERT INTO projects (name, git_url, webhook_secret) VALUES ('signal/p', 'https://git.example.com/p.git', '\\x00') RETURNING id",
      )
    ).rows[0]!.id,
  );
  builderId = Number(
    (
      await database.db.query<{ id: string }>(
        "INSERT INTO builders (name, host, cpus, memory_bytes, docker_version, version, slots, slot_cpus, slot_memory_bytes, credential_hash) VALUES ('b1', 'h', 2, 4294967296, '20.10', 'test', 1, 2, 4294967296, '\\x00') RETURNING id",
      )
    ).rows[0]!.id,
  );
  probe = await TriggerProbe.start(database.database.url);
  notifications = new DatabaseNotifications(database.db, pino({ level: 'silent' }));
  signal = notifications.signal([NOTIFY_CHANNELS.jobsQueued]);
  notifications.start();
  await until('the signal to listen', () => signal.listening, POLL);
}, 120_000);

afterAll(async () => {
  await probe?.stop();
  await notifications?.stop();
  await database?.stop();
}, 60_000);

describe('the notifying triggers', () => {
  it('notify gyre_jobs_queued once for a statement that queues jobs, and not for one that queues none', async () => {
    let workflowId = 0;
    const seeded = await probe.channelsNotifiedBy(
      async () =>
        ({ workflowId } = await seedWorkflow(database.db, projectId, [
          { name: 'first' },
          { name: 'second' },
          { name: 'then', requires: ['first'] },
        ])),
    );
    expect(seeded).toEqual([NOTIFY_CHANNELS.jobsQueued]);
    const started = await probe.channelsNotifiedBy(() =>
      database.db.query("UPDATE jobs SET state = 'running' WHERE workflow_id = $1 AND state = 'queued'", [workflowId]),
    );
    // Jobs left the queue: that is a move (gyre_jobs_moved), not a queueing.
    expect(started).toEqual([NOTIFY_CHANNELS.jobsMoved]);
    const released = await probe.channelsNotifiedBy(() =>
      database.db.query(
        "UPDATE jobs SET state = 'queued', queued_at = now() WHERE workflow_id = $1 AND state = 'blocked'",
        [workflowId],
      ),
    );
    expect(released).toEqual([NOTIFY_CHANNELS.jobsQueued]);
  });

  it("notify gyre_builders_changed when a builder's state changes, not when it is merely seen", async () => {
    expect(
      await probe.channelsNotifiedBy(() =>
        database.db.query('UPDATE builders SET last_seen_at = now() WHERE id = $1', [builderId]),
      ),
    ).toEqual([]);
    expect(
      await probe.channelsNotifiedBy(() =>
        database.db.query("UPDATE builders SET state = 'draining' WHERE id = $1", [builderId]),
      ),
    ).toEqual([NOTIFY_CHANNELS.buildersChanged]);
    expect(
      await probe.channelsNotifiedBy(() =>
        database.db.query("UPDATE builders SET state = 'draining', last_seen_at = now() WHERE id = $1", [builderId]),
      ),
    ).toEqual([]);
  });

  it('notify gyre_jobs_moved once per statement that moves jobs out of queued, leased or running, and not for a renewal', async () => {
    let workflowId = 0;
    await probe.channelsNotifiedBy(
      async () => ({ workflowId } = await seedWorkflow(database.db, projectId, [{ name: 'a' }, { name: 'b' }])),
    );
    const jobsOf = (set: string) => database.db.query(`UPDATE jobs SET ${set} WHERE workflow_id = $1`, [workflowId]);
    expect(await probe.channelsNotifiedBy(() => jobsOf(`state = 'leased', builder_id = ${builderId}`))).toEqual([
      NOTIFY_CHANNELS.jobsMoved,
    ]);
    expect(await probe.channelsNotifiedBy(() => jobsOf("state = 'running'"))).toEqual([]);
    expect(await probe.channelsNotifiedBy(() => jobsOf("lease_expires_at = now() + interval '1 minute'"))).toEqual([]);
    expect(await probe.channelsNotifiedBy(() => jobsOf("state = 'running'"))).toEqual([]);
    expect(await probe.channelsNotifiedBy(() => jobsOf("state = 'success', finished_at = now()"))).toEqual([
      NOTIFY_CHANNELS.jobsMoved,
    ]);
  });

  it('notify gyre_statuses_queued when commit statuses are queued', async () => {
    let pipelineId = 0;
    // Seeded through the probe, so the seed's own notification is not counted as the statuses'.
    await probe.channelsNotifiedBy(
      async () => ({ pipelineId } = await seedWorkflow(database.db, projectId, [{ name: 'status' }])),
    );
    const queued = await probe.channelsNotifiedBy(() =>
      database.db.query(
        "INSERT INTO commit_statuses (pipeline_id, state, description, context) VALUES ($1, 'pending', 'd', 'gyre/w'), ($1, 'success', 'd', 'gyre/w')",
        [pipelineId],
      ),
    );
    expect(queued).toEqual([NOTIFY_CHANNELS.statusesQueued]);
  });
});

describe('a signal of DatabaseNotifications on a real PostgreSQL', () => {
  it('wakes a waiter when its channel is notified', async () => {
    const waiting = signal.wait(10 * 60_000);
    await seedWorkflow(database.db, projectId, [{ name: 'a' }]);
    expect(await wakeOf(waiting)).toBe('woken');
  });

  it('does not miss a notification that arrives between a look for jobs and the wait', async () => {
    const mark = signal.mark;
    await seedWorkflow(database.db, projectId, [{ name: 'in-between' }]);
    await until('the notification', () => signal.mark !== mark, POLL);
    expect(await wakeOf(signal.wait(60_000, mark), 5_000)).toBe('woken');
  });

  it('ends a wait at once when its abort signal aborts', async () => {
    const abort = new AbortController();
    const waiting = signal.wait(10 * 60_000, signal.mark, abort.signal);
    abort.abort();
    expect(await wakeOf(waiting, 5_000)).toBe('woken');
  });

  it('listens again after its connection is killed, and wakes waiters once it is back', async () => {
    const terminated = await database.db.query<{ n: number }>(
      "SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE query LIKE 'LISTEN gyre_jobs_queued%' AND pid <> pg_backend_pid()",
    );
    expect(terminated.rows[0]!.n).toBe(1);
    await until('the signal to notice', () => !signal.listening, POLL);
    await until('the signal to listen again', () => signal.listening, POLL);
    const waiting = signal.wait(10 * 60_000);
    await seedWorkflow(database.db, projectId, [{ name: 'after-reconnect' }]);
    expect(await wakeOf(waiting)).toBe('woken');
  }, 60_000);

  it('wakes every waiter when it stops', async () => {
    const otherNotifications = new DatabaseNotifications(database.db, pino({ level: 'silent' }));
    const other = otherNotifications.signal([NOTIFY_CHANNELS.jobsQueued]);
    otherNotifications.start();
    await until('the second signal to listen', () => other.listening, POLL);
    const waiting = other.wait(60_000);
    await otherNotifications.stop();
    expect(await wakeOf(waiting, 5_000)).toBe('woken');
    expect(other.listening).toBe(false);
    // A stopped signal keeps nobody waiting: long-polls answer a closing server at once.
    expect(await wakeOf(other.wait(60_000), 5_000)).toBe('woken');
  });
});
