/**
 * Starts the builder's SSH gateway for SSH into builds: its host key from the state volume, one
 * listener on the first free port of GYRE_SSH_PORTS (on the host itself: the agent runs with host
 * networking, so nothing is published; the next free one while another builder on the same host
 * holds it), and session events passed to whichever job they are of.
 */
import type { Logger } from 'pino';
import type { BuilderSsh } from '../../../protocol/index.js';
import type { ContainerClient } from '../../../docker/index.js';
import { GyreError, messageOf } from '../../../shared/errors.js';
import { loadOrCreateHostKey } from './host-key.js';
import { SshGateway, type SessionEvent } from './ssh-gateway.js';

export interface AgentSshSettings {
  /** The ports to listen on, the first free one of them (first 0: any free port, for tests). */
  readonly first: number;
  readonly last: number;
  /** The address job pages show. @default the Docker host's name */
  readonly host?: string;
  /** Where the listener binds. @default every address */
  readonly bindAddress?: string;
}

export interface StartedGateway {
  readonly gateway: SshGateway;
  /** What the builder's facts say of it. */
  readonly facts: BuilderSsh;
}

export async function startSshGateway(
  containers: ContainerClient,
  settings: AgentSshSettings,
  context: { readonly stateDir: string; readonly dockerHostName: string },
  onEvent: (event: SessionEvent) => void,
  log: Logger,
): Promise<StartedGateway> {
  const hostKey = await loadOrCreateHostKey(context.stateDir, (reason) =>
    log.warn({ reason }, 'made a new SSH host key: users will be warned that it changed'),
  );
  const gateway = new SshGateway(containers, hostKey.privateKey, onEvent);
  const port = await listenOnFirstFree(gateway, settings);
  const facts = { host: settings.host ?? context.dockerHostName, port, hostKeyFingerprint: hostKey.fingerprint };
  log.info(facts, 'SSH into builds: listening');
  return { gateway, facts };
}

/** Listens on the first port of the range that is free: the next one while another builder on this host holds the first. */
async function listenOnFirstFree(gateway: SshGateway, settings: AgentSshSettings): Promise<number> {
  let last: unknown;
  for (let port = settings.first; port <= settings.last; port++) {
    try {
      return await gateway.listen(port, settings.bindAddress);
    } catch (error) {
      last = error;
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') break;
    }
  }
  throw new GyreError(
    `cannot listen for SSH into builds on ports ${settings.first}-${settings.last} (${messageOf(last)}): free a port of the range, choose another with GYRE_SSH_PORTS, or set GYRE_SSH_PORTS=off`,
    undefined,
    { cause: last },
  );
}

/** The job a gateway user (`job-1234`) names; undefined for anything else. */
export function jobIdOfUser(user: string): number | undefined {
  const id = /^job-([1-9]\d{0,15})$/.exec(user)?.[1];
  return id === undefined ? undefined : Number(id);
}
