/**
 * Row shape of `builders` and its API form, with the slots in use.
 */
import type { BuilderFacts, BuilderState } from '../../../protocol/index.js';

export const builderColumns = `b.id, b.name, b.host, b.cpus, b.memory_bytes, b.docker_version, b.version, b.slots, b.slot_cpus, b.slot_memory_bytes,
  b.state, b.drain_deadline, b.registered_at, b.last_seen_at,
  (SELECT count(*) FROM jobs j WHERE j.builder_id = b.id AND j.state IN ('leased', 'running'))::int AS slots_used`;

export interface BuilderRow {
  id: string;
  name: string;
  host: string;
  cpus: string;
  memory_bytes: string;
  docker_version: string;
  version: string;
  slots: number;
  slot_cpus: string;
  slot_memory_bytes: string;
  state: BuilderState;
  drain_deadline: Date | null;
  registered_at: Date;
  last_seen_at: Date;
  slots_used: number;
}

/** A registered builder: the facts it reported, plus what the services box knows of it. */
export interface Builder extends BuilderFacts {
  readonly id: number;
  readonly slotsUsed: number;
  readonly state: BuilderState;
  readonly drainDeadline: string | null;
  readonly registeredAt: string;
  readonly lastSeenAt: string;
}

export function toBuilder(row: BuilderRow): Builder {
  return {
    id: Number(row.id),
    name: row.name,
    host: row.host,
    cpus: Number(row.cpus),
    memoryBytes: Number(row.memory_bytes),
    dockerVersion: row.docker_version,
    version: row.version,
    slots: row.slots,
    slotsUsed: row.slots_used,
    slotCpus: Number(row.slot_cpus),
    slotMemoryBytes: Number(row.slot_memory_bytes),
    state: row.state,
    drainDeadline: row.drain_deadline?.toISOString() ?? null,
    registeredAt: row.registered_at.toISOString(),
    lastSeenAt: row.last_seen_at.toISOString(),
  };
}
