/**
 * Which queued jobs a builder takes, by free CPU and memory (bin-packing by resource class). Pure:
 * the lease transaction reads the queue and the builder's free room and claims what this returns.
 */
import { fitsRoom, roomLeft, type JobNeed, type JobRoom } from '../../../protocol/index.js';

/** A builder's room for jobs, what its jobs take of it and what is left; CPUs null where unlimited. */
export interface BuilderRoom {
  readonly cpus: number | null;
  readonly memoryBytes: number;
  readonly usedCpus: number;
  readonly usedMemoryBytes: number;
  readonly freeCpus: number | null;
  readonly freeMemoryBytes: number;
}

/**
 * Takes jobs in queue order while each fits what is left, at most `max`. The first job that does
 * not fit ends the pass, although a smaller one behind it might: otherwise a steady stream of small
 * jobs would keep a large one waiting for ever. The caller passes only jobs that fit the builder's
 * whole room, so a job no larger than the builder always gets its turn once enough jobs end.
 */
export function takeInQueueOrder<T extends JobNeed>(queued: readonly T[], free: JobRoom, max: number): T[] {
  const taken: T[] = [];
  let left = free;
  for (const job of queued) {
    if (taken.length >= max || !fitsRoom(job, left)) break;
    taken.push(job);
    left = roomLeft(left, job);
  }
  return taken;
}
