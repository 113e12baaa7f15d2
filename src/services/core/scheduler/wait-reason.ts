/**
 * Why a queued job is waiting, in words a user can act on. Pure: it reads the job's needs and
 * the fleet as it is now.
 */
import {
  DOCKER_LEVELS,
  fitsRoom,
  type BuilderState,
  type DockerInBuilds,
  type JobNeed,
} from '../../../protocol/index.js';
import { formatRoomSize } from '../../../shared/room-size.js';
import type { BuilderRoom } from './pack-jobs.js';

export interface BuilderShape {
  readonly state: BuilderState;
  readonly room: BuilderRoom;
  readonly dockerInBuilds: DockerInBuilds;
  /** Where its SSH gateway is; absent when it offers none. */
  readonly ssh?: unknown;
}

/** What a queued job needs of a builder. */
export interface QueuedNeed extends JobNeed {
  /** What Docker it needs (jobs.docker_level): 0 none, 1 an engine of its own, 2 the machine executor. */
  readonly dockerLevel: number;
  /** Whether an administrator allowed the job's project Docker in builds. */
  readonly dockerAllowed: boolean;
  /** Whether its build is a fork's pull request that gets none of the project's secrets, nor Docker. */
  readonly untrustedFork: boolean;
  /** Whether it is a rerun with SSH, which only builders with an SSH gateway take. @default false */
  readonly ssh?: boolean;
}

// A class's 0 CPUs is a class without a CPU limit.
const need = (job: JobNeed) => formatRoomSize({ cpus: job.cpus === 0 ? null : job.cpus, memoryBytes: job.memoryBytes });
const freeOf = (b: BuilderShape) => ({ cpus: b.room.freeCpus, memoryBytes: b.room.freeMemoryBytes });
// Memory first: every builder bounds it, while a builder without a CPU limit has "unlimited" CPUs.
const byMemoryThenCpus = (a: { cpus: number | null; memoryBytes: number }, b: typeof a) =>
  b.memoryBytes - a.memoryBytes || (b.cpus ?? Infinity) - (a.cpus ?? Infinity);

export function describeWait(job: QueuedNeed, fleet: readonly BuilderShape[]): string {
  if (job.dockerLevel > 0 && !job.dockerAllowed)
    return "needs Docker in builds, which its project is not allowed: an administrator allows it on the admin console's Projects page";
  if (job.dockerLevel > 0 && job.untrustedFork)
    return "needs Docker in builds, which a fork's pull request gets only where the project passes forks its secrets (project settings); it never starts otherwise: cancel it";
  const connected = fleet.filter((b) => b.state === 'active' || b.state === 'draining');
  if (connected.length === 0) return 'no builder is connected; join one with `gyre builder join`';
  const withSsh = job.ssh === true ? connected.filter((b) => b.ssh !== undefined) : connected;
  if (withSsh.length === 0)
    return 'is a rerun with SSH, and no connected builder offers SSH: an administrator sets GYRE_SSH_PORTS on a builder (it is off on these), or cancel the job and rerun it without SSH';
  const usable = withSsh.filter((b) => DOCKER_LEVELS[b.dockerInBuilds] >= job.dockerLevel);
  if (usable.length === 0)
    return job.dockerLevel > 1
      ? 'needs the machine executor; no builder offers it: an administrator sets GYRE_DOCKER_IN_BUILDS=machine on a builder'
      : 'needs Docker in builds (setup_remote_docker); no builder offers it: an administrator sets GYRE_DOCKER_IN_BUILDS=remote on a builder';
  const fitting = usable.filter((b) => fitsRoom(job, b.room));
  if (fitting.length === 0) {
    const largest = usable.map((b) => b.room).sort(byMemoryThenCpus)[0]!;
    return `needs ${need(job)}; the largest builder has ${formatRoomSize(largest)} for jobs`;
  }
  const active = fitting.filter((b) => b.state === 'active');
  if (active.length === 0) return 'every builder that fits this job is draining; add a builder or cancel the drain';
  if (active.some((b) => fitsRoom(job, freeOf(b))))
    return 'a builder has room for it: it starts when the jobs queued before it have theirs';
  const most = active.map(freeOf).sort(byMemoryThenCpus)[0]!;
  return `waiting for room: needs ${need(job)}; the most free on a builder that fits it is ${formatRoomSize(most)}`;
}
