import { describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import type { Database } from '../../../../../src/services/database/create-pool.js';
import { LeaseBatches, type LeaseRunners } from '../../../../../src/services/stores/jobs/lease-batches.js';
import type { ClaimedLease } from '../../../../../src/services/stores/jobs/lease-jobs.js';

// GIVEN a database that only records the transactions it is asked for, and leases that record
// which transaction they ran in and hold until the test lets them end.
interface Recorded {
  readonly statements: string[];
  readonly runs: { builderId: number; where: string }[];
}

function setUp(failing: ReadonlySet<number> = new Set()) {
  const recorded: Recorded = { statements: [], runs: [] };
  let clients = 0;
  const db = {
    connect: () => {
      const name = `client ${++clients}`;
      return Promise.resolve({
        query: (sql: string) => {
          recorded.statements.push(`${name}: ${sql}`);
          return Promise.resolve({ rows: [] });
        },
        release: () => undefined,
        name,
      });
    },
  } as unknown as Database;
  const gates: (() => void)[] = [];
  const lease = (builderId: number, where: string): Promise<ClaimedLease[]> => {
    recorded.runs.push({ builderId, where });
    return new Promise((resolve, reject) =>
      gates.push(() =>
        failing.has(builderId)
          ? reject(new Error(`builder ${builderId} broke`))
          : resolve([{ jobId: builderId } as ClaimedLease]),
      ),
    );
  };
  const runners: LeaseRunners = {
    alone: (_db, builderId) => lease(builderId, 'alone'),
    within: (client, builderId) => lease(builderId, (client as pg.PoolClient & { name: string }).name),
  };
  const openGates = async () => {
    while (gates.length > 0) {
      gates.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { batches: new LeaseBatches(db, runners), recorded, openGates };
}

describe('LeaseBatches', () => {
  it('runs a lease at once alone, then those that came meanwhile together in one transaction, in arrival order', async () => {
    const { batches, recorded, openGates } = setUp();
    const answers = Promise.all([1, 2, 3, 4].map((builderId) => batches.lease(builderId, 4)));
    await openGates();
    expect((await answers).map((leases) => leases.map((lease) => lease.jobId))).toEqual([[1], [2], [3], [4]]);
    expect(recorded.runs).toEqual([
      { builderId: 1, where: 'alone' },
      { builderId: 2, where: 'client 1' },
      { builderId: 3, where: 'client 1' },
      { builderId: 4, where: 'client 1' },
    ]);
    expect(recorded.statements).toEqual(['client 1: BEGIN', 'client 1: COMMIT']);
  });

  it('when one lease fails the transaction, rolls it back and runs each alone, so only that one fails', async () => {
    const { batches, recorded, openGates } = setUp(new Set([3]));
    const answers = Promise.allSettled([1, 2, 3, 4].map((builderId) => batches.lease(builderId, 4)));
    await openGates();
    expect((await answers).map((answer) => answer.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(recorded.statements).toEqual(['client 1: BEGIN', 'client 1: ROLLBACK']);
    expect(recorded.runs.map((run) => `${run.builderId} ${run.where}`)).toEqual([
      '1 alone',
      '2 client 1',
      '3 client 1',
      '2 alone',
      '3 alone',
      '4 alone',
    ]);
  });
});
