/**
 * Why a queued job is waiting, in words a user can act on. Pure: it reads the job's needs and
 * the fleet as it is now.
 */
import type { BuilderState } from '../../../protocol/index.js';

export interface SlotShape {
  readonly state: BuilderState;
  readonly slots: number;
  readonly slotsUsed: number;
  /** 0 means no CPU limit, which fits any CPU need. */
  readonly slotCpus: number;
  readonly slotMemoryBytes: number;
}

const GiB = 1024 ** 3;
const gib = (bytes: number) => `${Math.round((bytes / GiB) * 10) / 10} GiB`;
const cpus = (n: number) => (n === 0 ? 'unlimited CPU' : `${n} CPU`);

export function describeWait(
  job: { readonly cpus: number; readonly memoryBytes: number },
  fleet: readonly SlotShape[],
): string {
  const usable = fleet.filter((b) => b.state === 'active' || b.state === 'draining');
  if (usable.length === 0) return 'no builder is connected; join one with `gyre builder join`';
  const fits = (b: SlotShape) => (b.slotCpus === 0 || b.slotCpus >= job.cpus) && b.slotMemoryBytes >= job.memoryBytes;
  const fitting = usable.filter(fits);
  if (fitting.length === 0) {
    const largest = [...usable].sort(
      (a, b) => b.slotMemoryBytes - a.slotMemoryBytes || (b.slotCpus || Infinity) - (a.slotCpus || Infinity),
    )[0]!;
    return `needs ${cpus(job.cpus)} / ${gib(job.memoryBytes)}; largest builder slot is ${cpus(largest.slotCpus)} / ${gib(largest.slotMemoryBytes)}`;
  }
  const active = fitting.filter((b) => b.state === 'active');
  if (active.length === 0) return 'every builder that fits this job is draining; add a builder or cancel the drain';
  const [total, used] = active.reduce(([t, u], b) => [t + b.slots, u + b.slotsUsed], [0, 0]);
  return `waiting for a free slot: ${used} of ${total} slots that fit it are busy`;
}
