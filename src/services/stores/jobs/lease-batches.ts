/**
 * Leases one after the other in this process, several to a transaction (issue 21). Every
 * long-poll wakes on the same notification, and leases racing on the same head of the queue left
 * all but one builder empty-handed, so they run in turn, each seeing the claims before it. In
 * turn, each paid a transaction of its own, and 50 builders waited in line for 50 commits: now
 * the leases that arrive while one transaction runs go together in the next, in arrival order,
 * with one commit for all (as a database's group commit does). Several processes (app replicas)
 * still race, and the claim's `SKIP LOCKED` keeps that correct.
 */
import type { Database } from '../../database/create-pool.js';
import { withTransaction } from '../../database/with-transaction.js';
import { leaseJobs, leaseJobsIn, type ClaimedLease } from './lease-jobs.js';

interface LeaseRequest {
  readonly builderId: number;
  readonly max: number;
  readonly agentRunning: readonly number[] | undefined;
  readonly resolve: (leases: ClaimedLease[]) => void;
  readonly reject: (error: unknown) => void;
}

/** The most leases in one transaction, so that none holds its builders' rows for long. */
const MAX_BATCH = 64;

/** How a lease runs alone and in a transaction the batch holds; the database's, but for unit tests. */
export interface LeaseRunners {
  readonly alone: typeof leaseJobs;
  readonly within: typeof leaseJobsIn;
}

export class LeaseBatches {
  private readonly waiting: LeaseRequest[] = [];
  private running = false;

  constructor(
    private readonly db: Database,
    private readonly runners: LeaseRunners = { alone: leaseJobs, within: leaseJobsIn },
  ) {}

  /** Leases as {@link leaseJobs} does, in the next transaction. */
  lease(builderId: number, max: number, agentRunning?: readonly number[]): Promise<ClaimedLease[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ builderId, max, agentRunning, resolve, reject });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.waiting.length > 0) await this.run(this.waiting.splice(0, MAX_BATCH));
    } finally {
      this.running = false;
    }
  }

  private async run(batch: readonly LeaseRequest[]): Promise<void> {
    if (batch.length > 1) {
      try {
        const leases = await withTransaction(this.db, async (client) => {
          const all: ClaimedLease[][] = [];
          for (const request of batch)
            all.push(await this.runners.within(client, request.builderId, request.max, request.agentRunning));
          return all;
        });
        batch.forEach((request, index) => request.resolve(leases[index]!));
        return;
      } catch {
        // One lease's failure ends the transaction for all (a deadlock with another replica's
        // batch over two builders' rows, say): each goes again alone, so only its own fails.
      }
    }
    for (const request of batch)
      await this.runners
        .alone(this.db, request.builderId, request.max, request.agentRunning)
        .then(request.resolve, request.reject);
  }
}
