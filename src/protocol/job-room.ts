/**
 * A builder's room for jobs: its slots together, into which the scheduler packs jobs by their
 * resource classes. The services box and the agent both count what is left of it, so both sides
 * compute it here.
 */
import type { Capacity } from './capacity.js';

/** CPU and memory for jobs; `cpus` null where the builder does not place jobs by CPU. */
export interface JobRoom {
  readonly cpus: number | null;
  readonly memoryBytes: number;
}

/** What a job needs, from its resource class; `cpus` 0 is a class without a CPU limit. */
export interface JobNeed {
  readonly cpus: number;
  readonly memoryBytes: number;
}

// Classes may have fractional CPUs (0.7): sums of them are rounded, so 3 × 0.7 is 2.1, as
// PostgreSQL's numeric column, which the lease query compares against, has it.
const roundCpus = (cpus: number) => Math.round(cpus * 1e6) / 1e6;

export function jobRoomOf(capacity: Pick<Capacity, 'slots' | 'slotCpus' | 'slotMemoryBytes'>): JobRoom {
  return {
    cpus: capacity.slotCpus === 0 ? null : roundCpus(capacity.slots * capacity.slotCpus),
    memoryBytes: capacity.slots * capacity.slotMemoryBytes,
  };
}

/** What is left of `room` after `used`; never below nothing (a room made smaller under running jobs). */
export function roomLeft(room: JobRoom, used: JobNeed): JobRoom {
  return {
    cpus: room.cpus === null ? null : Math.max(0, roundCpus(room.cpus - used.cpus)),
    memoryBytes: Math.max(0, room.memoryBytes - used.memoryBytes),
  };
}

export function fitsRoom(job: JobNeed, room: JobRoom): boolean {
  return (room.cpus === null || job.cpus <= room.cpus) && job.memoryBytes <= room.memoryBytes;
}
