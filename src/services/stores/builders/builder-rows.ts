/**
 * Row shape of `builders` and its API form, with the jobs it runs and the CPU and memory they take.
 */
import {
  jobRoomOf,
  roomLeft,
  type BuilderFacts,
  type BuilderState,
  type DockerInBuilds,
} from '../../../protocol/index.js';
import type { BuilderRoom } from '../../core/scheduler/pack-jobs.js';

export const builderColumns = `b.id, b.name, b.host, b.cpus, b.memory_bytes, b.docker_version, b.version, b.slots, b.slot_cpus, b.slot_memory_bytes,
  b.docker_in_builds, b.ssh_host, b.ssh_port, b.ssh_host_key_fingerprint, b.state, b.drain_deadline, b.registered_at, b.last_seen_at,
  ${usedBy('count(*)::int')} AS running_jobs, ${usedBy('coalesce(sum(j.cpus), 0)')} AS used_cpus,
  ${usedBy('coalesce(sum(j.memory_bytes), 0)')} AS used_memory_bytes`;

/** A sum over the builder's leased and running jobs; a subquery, as `RETURNING` takes no joins. */
function usedBy(aggregate: string): string {
  return `(SELECT ${aggregate} FROM jobs j WHERE j.builder_id = b.id AND j.state IN ('leased', 'running'))`;
}

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
  docker_in_builds: DockerInBuilds;
  ssh_host: string | null;
  ssh_port: number | null;
  ssh_host_key_fingerprint: string | null;
  state: BuilderState;
  drain_deadline: Date | null;
  registered_at: Date;
  last_seen_at: Date;
  running_jobs: number;
  used_cpus: string;
  used_memory_bytes: string;
}

/** A registered builder: the facts it reported, plus what the services box knows of it. */
export interface Builder extends BuilderFacts {
  readonly dockerInBuilds: DockerInBuilds;
  readonly id: number;
  /** Jobs leased to it or running on it. */
  readonly runningJobs: number;
  readonly room: BuilderRoom;
  readonly state: BuilderState;
  readonly drainDeadline: string | null;
  readonly registeredAt: string;
  readonly lastSeenAt: string;
}

export function toBuilder(row: BuilderRow): Builder {
  const capacity = {
    slots: row.slots,
    slotCpus: Number(row.slot_cpus),
    slotMemoryBytes: Number(row.slot_memory_bytes),
  };
  const room = jobRoomOf(capacity);
  const used = { cpus: Number(row.used_cpus), memoryBytes: Number(row.used_memory_bytes) };
  const free = roomLeft(room, used);
  return {
    id: Number(row.id),
    name: row.name,
    host: row.host,
    cpus: Number(row.cpus),
    memoryBytes: Number(row.memory_bytes),
    dockerVersion: row.docker_version,
    version: row.version,
    ...capacity,
    dockerInBuilds: row.docker_in_builds,
    ...(row.ssh_host !== null &&
      row.ssh_port !== null &&
      row.ssh_host_key_fingerprint !== null && {
        ssh: { host: row.ssh_host, port: row.ssh_port, hostKeyFingerprint: row.ssh_host_key_fingerprint },
      }),
    runningJobs: row.running_jobs,
    room: {
      ...room,
      usedCpus: used.cpus,
      usedMemoryBytes: used.memoryBytes,
      freeCpus: free.cpus,
      freeMemoryBytes: free.memoryBytes,
    },
    state: row.state,
    drainDeadline: row.drain_deadline?.toISOString() ?? null,
    registeredAt: row.registered_at.toISOString(),
    lastSeenAt: row.last_seen_at.toISOString(),
  };
}
