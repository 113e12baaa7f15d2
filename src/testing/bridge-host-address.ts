/**
 * The Docker host's address as containers on the default bridge see it: the gateway of their
 * default route (docker0's address on a Linux engine).
 *
 * Why not `docker network inspect bridge`: an engine installed and started afresh lists the
 * bridge's IPAM as `{"Subnet": "172.17.0.0/16"}` with no `Gateway`, although docker0 holds
 * 172.17.0.1; the field appears only on some engines (one given `--bip`, or restarted). Asking a
 * container gives the same answer on every engine, local or remote.
 */
import type Dockerode from 'dockerode';
import { GyreEnvironmentError, messageOf } from './errors.js';

const STEP = "finding the Docker host's address on the default bridge";

/**
 * Runs a throwaway container of `image` (any image with `cat`) on the default bridge and reads
 * its default route. The container carries `labels` and is removed, whatever happens.
 */
export async function bridgeHostAddress(
  docker: Dockerode,
  image: string,
  labels: Readonly<Record<string, string>>,
): Promise<string> {
  let routes: string;
  try {
    routes = await printedBy(docker, {
      Image: image,
      Entrypoint: ['cat'],
      Cmd: ['/proc/net/route'],
      Tty: true,
      Labels: { ...labels },
      HostConfig: { NetworkMode: 'bridge' },
    });
  } catch (error) {
    throw new GyreEnvironmentError(
      STEP,
      messageOf(error),
      `check that ${image} runs on this Docker host with the default bridge network`,
      { cause: error },
    );
  }
  const gateway = defaultGatewayOf(routes);
  if (gateway === undefined)
    throw new GyreEnvironmentError(
      STEP,
      `a container on the default bridge has no default route (its route table: ${routes.trim() || 'empty'})`,
      'GyreEnvironment needs a Linux Docker Engine whose default `bridge` network routes containers through the host',
    );
  return gateway;
}

/** What a container prints before it exits 0; the container is removed either way. */
async function printedBy(docker: Dockerode, options: Dockerode.ContainerCreateOptions): Promise<string> {
  const container = await docker.createContainer(options);
  let output = '';
  let failure: unknown;
  try {
    await container.start();
    const exit = (await container.wait()) as { StatusCode: number };
    output = (await container.logs({ stdout: true, stderr: true })).toString('utf8');
    if (exit.StatusCode !== 0)
      failure = new Error(
        `${[...(options.Entrypoint ?? []), ...(options.Cmd ?? [])].join(' ')} exited with ${exit.StatusCode}: ${output.trim()}`,
      );
  } catch (error) {
    failure = error;
  }
  try {
    await container.remove({ force: true });
  } catch (error) {
    // Gone already is fine; anything else is reported unless an earlier failure explains more.
    if ((error as { statusCode?: number }).statusCode !== 404) failure ??= error;
  }
  if (failure !== undefined) throw failure instanceof Error ? failure : new Error(messageOf(failure));
  return output;
}

/**
 * The IPv4 gateway of the default route in a Linux `/proc/net/route` table, whose addresses are
 * 32-bit hexadecimal numbers in the host's (little-endian) byte order. Undefined without one.
 */
export function defaultGatewayOf(routeTable: string): string | undefined {
  for (const line of routeTable.split(/\r?\n/).slice(1)) {
    const [, destination, gateway] = line.trim().split(/\s+/);
    if (
      destination !== '00000000' ||
      gateway === undefined ||
      !/^[0-9A-Fa-f]{8}$/.test(gateway) ||
      gateway === '00000000'
    )
      continue;
    const bytes = Buffer.from(gateway, 'hex').reverse();
    return [...bytes].join('.');
  }
  return undefined;
}
