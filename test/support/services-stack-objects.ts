/**
 * What `gyre up` leaves on this machine's Docker Engine: the services stack's containers and
 * volumes. Its Compose project name is fixed (gyre-services), so the tests that run `gyre up`
 * check first that no stack is there: one left by a killed run (a data volume made with another
 * GYRE_DB_PASSWORD, say) would otherwise be taken over and fail them in confusing ways.
 */
import Docker from 'dockerode';
import { SERVICES_PROJECT_NAME } from '../../src/render/index.js';

export interface StackObjects {
  /** Service names of the stack's containers, in any state. */
  readonly containers: string[];
  readonly volumes: string[];
}

export async function servicesStackObjects(docker = new Docker()): Promise<StackObjects> {
  const filters = JSON.stringify({ label: [`com.docker.compose.project=${SERVICES_PROJECT_NAME}`] });
  const [containers, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listVolumes({ filters }),
  ]);
  return {
    containers: containers.map((c) => c.Labels['com.docker.compose.service']!).sort(),
    volumes: (volumes.Volumes ?? []).map((v) => v.Name).sort(),
  };
}

/** Fails, naming what is there and how to remove it, unless no services stack is on the engine. */
export async function expectNoServicesStack(): Promise<void> {
  const left = await servicesStackObjects();
  if (left.containers.length + left.volumes.length > 0)
    throw new Error(
      `a ${SERVICES_PROJECT_NAME} stack is already on this Docker Engine (containers: ${left.containers.join(', ') || 'none'}; volumes: ${left.volumes.join(', ') || 'none'}); ` +
        `remove it first: docker compose -p ${SERVICES_PROJECT_NAME} down --volumes`,
    );
}
