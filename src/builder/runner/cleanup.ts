/**
 * Idempotent teardown by label: containers first (they hold the network and the volume), then
 * networks, then volumes. "Not found" counts as done; one failure does not stop the rest, and all
 * failures are reported together at the end.
 */
import type Dockerode from 'dockerode';
import { engineErrorMessage, statusCodeOf } from '../../docker/index.js';
import { GyreError } from '../../shared/errors.js';
import { LABEL_BUILDER, LABEL_JOB, managedFilter } from './labels.js';

/**
 * Removes every container, network and volume this builder made for a job (all its attempts).
 * Another builder's attempt of the same job on the same host is left alone.
 */
export async function cleanupJob(docker: Dockerode, jobId: number, builderName: string): Promise<void> {
  await cleanupByLabel(
    docker,
    managedFilter({ [LABEL_JOB]: String(jobId), [LABEL_BUILDER]: builderName }),
    `job ${jobId}`,
  );
}

/** Removes everything a builder created; run at start-up, after a crash left objects behind. */
export async function cleanupBuilder(docker: Dockerode, builderName: string): Promise<void> {
  await cleanupByLabel(docker, managedFilter({ [LABEL_BUILDER]: builderName }), `builder ${builderName}`);
}

async function cleanupByLabel(docker: Dockerode, filters: string, owner: string): Promise<void> {
  const errors: unknown[] = [];
  const containers = await docker.listContainers({ all: true, filters });
  for (const c of containers)
    await attempt(errors, `container ${c.Id.slice(0, 12)}`, () =>
      docker.getContainer(c.Id).remove({ force: true, v: true }),
    );
  const networks = await docker.listNetworks({ filters });
  for (const n of networks) await attempt(errors, `network ${n.Name}`, () => docker.getNetwork(n.Id).remove());
  const volumes = (await docker.listVolumes({ filters })).Volumes ?? [];
  for (const v of volumes) await attempt(errors, `volume ${v.Name}`, () => docker.getVolume(v.Name).remove());
  if (errors.length > 0) {
    const lines = errors.map((e) => `  - ${e instanceof Error ? e.message : String(e)}`).join('\n');
    throw new GyreError(`Cleanup of ${owner} failed for ${errors.length} object(s):\n${lines}`, undefined, {
      cause: new AggregateError(errors),
    });
  }
}

/** Runs one removal; a 404 means someone else removed it already, which is the goal. */
async function attempt(errors: unknown[], what: string, remove: () => Promise<unknown>): Promise<void> {
  try {
    await remove();
  } catch (error) {
    if (statusCodeOf(error) === 404) return;
    errors.push(new GyreError(`removing ${what}: ${engineErrorMessage(error)}`, undefined, { cause: error }));
  }
}
