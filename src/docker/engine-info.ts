/** `EngineInfo` from the engine's `GET /info` answer, which the Docker client and the job backend both read. */
import type { EngineInfo } from './types.js';

interface InfoAnswer {
  readonly NCPU?: unknown;
  readonly MemTotal?: unknown;
  readonly Name?: unknown;
  readonly ServerVersion?: unknown;
  readonly CgroupVersion?: unknown;
  readonly CgroupDriver?: unknown;
  readonly SystemTime?: unknown;
}

export function engineInfoOf(answer: unknown): EngineInfo {
  const info = answer as InfoAnswer;
  return {
    cpus: Number(info.NCPU),
    memoryBytes: Number(info.MemTotal),
    name: String(info.Name),
    serverVersion: String(info.ServerVersion),
    // When it answered: the host's clock, for a skew between hosts.
    ...(typeof info.SystemTime === 'string' && { systemTime: info.SystemTime }),
    // Engines before API 1.40 do not say; they predate cgroup v2 support.
    nestedCgroups: (info.CgroupVersion ?? '1') === '1' && info.CgroupDriver === 'cgroupfs',
  };
}
