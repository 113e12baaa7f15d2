/**
 * `gyre status`: one view of the whole install, from Compose (are the services healthy?) and from
 * the API (builders, their free room, queue). Each source that cannot be reached is reported as such, so
 * the status of a broken install is still a status.
 */
import { messageOf } from '../../shared/errors.js';
import { SERVICES_PROJECT_NAME } from '../../render/index.js';
import type { GyreClient } from '../../client/gyre-client.js';
import type { BuilderResponse } from '../../api/responses.js';
import { ComposeProject, type ComposeService } from '../compose/compose-project.js';
import type { ConnectedHost } from '../hosts.js';
import type { StateFolder } from '../state-folder.js';

export interface InstallStatus {
  readonly host: string;
  readonly services: readonly ComposeService[] | { readonly error: string };
  readonly health: { readonly status: string; readonly database?: string };
  readonly builders:
    | {
        readonly total: number;
        readonly byState: Readonly<Record<string, number>>;
        readonly healthy: number;
        readonly runningJobs: number;
        /** What active builders have free for jobs, together; CPUs null where one does not limit them. */
        readonly free: { readonly cpus: number | null; readonly memoryBytes: number };
      }
    | { readonly error: string };
  readonly queue:
    | {
        readonly depth: number;
        readonly oldestQueuedAt: string | null;
        readonly oldestJob: { readonly jobId: number; readonly name: string; readonly waitingBecause: string } | null;
      }
    | { readonly error: string };
}

export async function readStatus(
  target: ConnectedHost,
  stateFolder: StateFolder,
  api: GyreClient | undefined,
): Promise<InstallStatus> {
  const stack = new ComposeProject({
    host: target.host,
    dir: stateFolder.dir,
    file: 'services.yml',
    projectName: SERVICES_PROJECT_NAME,
  });
  const noApi = {
    error: `no API token: run \`gyre up\` first (it writes ${stateFolder.dir}/api.json), or set GYRE_API_URL and GYRE_API_TOKEN`,
  };
  const [services, health, builders, queue] = await Promise.all([
    stack.ps().catch((error: unknown) => ({ error: messageOf(error) })),
    api
      ? api.health().catch((error: unknown) => ({ status: `unreachable (${messageOf(error)})` }))
      : Promise.resolve({ status: 'unknown' }),
    api ? api.builders().catch((error: unknown) => ({ error: messageOf(error) })) : Promise.resolve(noApi),
    api ? api.queue().catch((error: unknown) => ({ error: messageOf(error) })) : Promise.resolve(noApi),
  ]);
  return {
    host: target.description,
    services,
    health: {
      status: health.status,
      ...('database' in health && health.database && { database: health.database.state }),
    },
    builders: 'error' in builders ? builders : summariseBuilders(builders),
    queue:
      'error' in queue
        ? queue
        : {
            depth: queue.depth,
            oldestQueuedAt: queue.oldestQueuedAt,
            oldestJob: queue.items[0]
              ? {
                  jobId: queue.items[0].jobId,
                  name: queue.items[0].name,
                  waitingBecause: queue.items[0].waitingBecause,
                }
              : null,
          },
  };
}

function summariseBuilders(builders: readonly Pick<BuilderResponse, 'state' | 'runningJobs' | 'room'>[]) {
  const live = builders.filter((b) => b.state !== 'revoked');
  const byState: Record<string, number> = {};
  for (const b of live) byState[b.state] = (byState[b.state] ?? 0) + 1;
  const taking = live.filter((b) => b.state === 'active');
  return {
    total: live.length,
    byState,
    healthy: taking.length,
    runningJobs: live.reduce((n, b) => n + b.runningJobs, 0),
    free: {
      cpus: taking.some((b) => b.room.freeCpus === null) ? null : taking.reduce((n, b) => n + b.room.freeCpus!, 0),
      memoryBytes: taking.reduce((n, b) => n + b.room.freeMemoryBytes, 0),
    },
  };
}

/**
 * Whether the install is healthy: every service runs and none is unhealthy, and the app's own
 * health check (asked now, through the API) says it and its database are up. A service whose
 * Docker health is still `starting` counts: Docker probes only every 30 s, so right after
 * `gyre up` the first probe may not have run, while the app already answers.
 */
export function isHealthy(status: InstallStatus): boolean {
  return (
    !('error' in status.services) &&
    status.services.length > 0 &&
    status.services.every((s) => s.state === 'running' && ['healthy', 'starting', ''].includes(s.health)) &&
    status.health.status === 'ok' &&
    status.health.database === 'up'
  );
}
