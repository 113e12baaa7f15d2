/**
 * How much a builder gives its jobs: the agent computes it from its host, and the orchestrator
 * computes it first, so a host too small for one slot is refused before anything changes.
 * A builder keeps 2 CPUs and 4 GiB for coordinating builds and sizes its room for jobs in slots of
 * `slotCpus` and `slotMemoryBytes` each:
 * `slots = min(floor((cpus - 2) / slotCpus), floor((memGiB - 4) / slotMemGiB))`.
 * The slots only size the room: the scheduler packs jobs into it by their resource classes (see
 * job-room.ts), so two `small` jobs share one slot's worth and a `large` job takes two.
 */
import { InvalidInputError } from '../shared/errors.js';

export const RESERVED_CPUS = 2;
export const RESERVED_MEMORY_BYTES = 4 * 1024 ** 3;

/** What the host's Docker Engine reports (`docker info`: NCPU, MemTotal). */
export interface HostResources {
  readonly cpus: number;
  readonly memoryBytes: number;
}

export interface SlotSettings {
  /** Explicit slot count; wins over the computed one. */
  readonly slots?: number;
  /** CPUs per slot; 0 means no CPU limit. */
  readonly slotCpus: number;
  readonly slotMemoryBytes: number;
}

export interface Capacity {
  readonly slots: number;
  /** CPUs per slot; 0: the builder does not place jobs by CPU. */
  readonly slotCpus: number;
  readonly slotMemoryBytes: number;
  /** Whether the count was set by an administrator rather than computed. */
  readonly explicit: boolean;
}

/** Computes the builder's slots, or explains why the host is too small for one. */
export function computeCapacity(host: HostResources, settings: SlotSettings): Capacity {
  const base = { slotCpus: settings.slotCpus, slotMemoryBytes: settings.slotMemoryBytes };
  if (settings.slots !== undefined) return { ...base, slots: settings.slots, explicit: true };

  const byMemory = Math.floor((host.memoryBytes - RESERVED_MEMORY_BYTES) / settings.slotMemoryBytes);
  // Without a CPU limit per slot, CPUs do not bound the count; memory still does.
  const byCpu = settings.slotCpus === 0 ? byMemory : Math.floor((host.cpus - RESERVED_CPUS) / settings.slotCpus);
  const slots = Math.min(byCpu, byMemory);
  if (slots < 1) {
    throw new InvalidInputError('builder capacity', [
      {
        input: 'GYRE_BUILDER_SLOTS',
        message: `this host has ${host.cpus} CPUs and ${formatGiB(host.memoryBytes)}; after reserving ${RESERVED_CPUS} CPUs and ${formatGiB(RESERVED_MEMORY_BYTES)} it cannot fit one slot of ${settings.slotCpus || 'unlimited'} CPUs and ${formatGiB(settings.slotMemoryBytes)}`,
        hint: 'set GYRE_BUILDER_SLOTS=1 (and GYRE_SLOT_CPUS=0 for no CPU limit) to run on a small host anyway, or lower GYRE_SLOT_CPUS / GYRE_SLOT_MEMORY',
      },
    ]);
  }
  return { ...base, slots, explicit: false };
}

function formatGiB(bytes: number): string {
  return `${Math.round((bytes / 1024 ** 3) * 10) / 10} GiB`;
}
