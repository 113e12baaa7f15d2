/**
 * Connection options for dockerode, one shape per host kind. docker-modem merges its own
 * defaults from DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH under whatever it is
 * given, so every option is set here, even to undefined: the host we resolved is the only
 * source of truth.
 */
import { Agent as HttpsAgent } from 'node:https';
import type Docker from 'dockerode';
import type { Environment } from './docker-config.js';
import type { DockerHost, TcpDockerHost } from './host.js';
import { sshLoginFor } from './ssh-options.js';
import { readTlsMaterial } from './tls-files.js';

/** dockerode's options plus the modem's `agent`, which its typings leave out. */
export type ConnectionOptions = Docker.DockerOptions & { readonly agent?: HttpsAgent };

type SshOptions = NonNullable<Docker.DockerOptions['sshOptions']>;

/** How long an ssh handshake may take before the connection fails. */
export const SSH_READY_TIMEOUT_MS = 20_000;

const UNSET = {
  socketPath: undefined,
  host: undefined,
  port: undefined,
  protocol: undefined,
  username: undefined,
  ca: undefined,
  cert: undefined,
  key: undefined,
} as const;

/**
 * The options that reach one host. Exhaustive over host kinds so a new kind fails to compile here.
 * @param env where ssh finds its agent and home folder
 */
export function connectionOptions(host: DockerHost, env: Environment): ConnectionOptions {
  switch (host.kind) {
    case 'unix':
      return { ...UNSET, socketPath: host.socketPath };
    case 'tcp':
      return tcpOptions(host);
    case 'ssh': {
      const login = sshLoginFor(host, env);
      const sshOptions: SshOptions = {
        agent: login.agent,
        privateKey: login.privateKey,
        hostVerifier: login.hostVerifier,
        algorithms: {
          serverHostKey: [...login.serverHostKeys] as NonNullable<
            NonNullable<SshOptions['algorithms']>['serverHostKey']
          >,
        },
        readyTimeout: SSH_READY_TIMEOUT_MS,
      };
      return { ...UNSET, protocol: 'ssh', host: login.address, port: login.port, username: login.username, sshOptions };
    }
    case 'context':
      return connectionOptions(host.endpoint, env);
  }
}

function tcpOptions(host: TcpDockerHost): ConnectionOptions {
  const address = { ...UNSET, host: host.address, port: host.port };
  if (host.tls === undefined) return { ...address, protocol: 'http' };
  const { ca, cert, key } = readTlsMaterial(host.tls);
  // Node checks the certificate and its names unless told otherwise; only a context's
  // SkipTLSVerify tells it otherwise, through an agent because the modem passes no such flag.
  const agent = host.tls.verify ? undefined : new HttpsAgent({ ca, cert, key, rejectUnauthorized: false });
  return { ...address, protocol: 'https', ca, cert, key, ...(agent && { agent }) };
}
