/**
 * Which Docker Engine a command talks to. A host is parsed once, at the edge, from `--host`
 * or DOCKER_HOST, into a tagged union; the adapter turns it into connection options.
 * Issue 6 adds `tcp` with TLS, `ssh://` and Docker contexts as new kinds of this union.
 */
import { InvalidInputError } from '../shared/errors.js';

/** The engine's local Unix socket. */
export interface UnixDockerHost {
  readonly kind: 'unix';
  readonly socketPath: string;
}

/** A plain-TCP engine API (no TLS), such as an engine in a private network namespace. */
export interface TcpDockerHost {
  readonly kind: 'tcp';
  readonly address: string;
  readonly port: number;
}

/** A Docker Engine endpoint. */
export type DockerHost = UnixDockerHost | TcpDockerHost;

/** Where the engine listens when neither `--host` nor DOCKER_HOST says otherwise. */
export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

const ACCEPTED = 'unix:///path/to/docker.sock or tcp://address:port';

/**
 * Parses a host URL as the Docker CLI writes it.
 * @param text the URL, such as `unix:///run/docker.sock` or `tcp://10.0.0.5:2375`
 * @param input the flag or variable it came from, named in errors
 */
export function parseDockerHost(text: string, input = '--host'): DockerHost {
  const value = text.trim();
  if (value.startsWith('unix://')) {
    const socketPath = value.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw invalidHost(input, text, 'a Unix socket needs an absolute path');
    return { kind: 'unix', socketPath };
  }
  if (value.startsWith('tcp://')) return parseTcpHost(value, text, input);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    const scheme = value.slice(0, value.indexOf(':'));
    throw invalidHost(input, text, `the ${scheme}:// scheme is not supported yet`);
  }
  throw invalidHost(input, text, 'it has no scheme');
}

/**
 * Picks the host the way the Docker CLI does: the explicit flag, then DOCKER_HOST, then the
 * default local socket.
 */
export function resolveDockerHost(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): DockerHost {
  if (flag !== undefined) return parseDockerHost(flag, '--host');
  const fromEnv = env['DOCKER_HOST'];
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    if (env['DOCKER_TLS_VERIFY'] && env['DOCKER_TLS_VERIFY'] !== '0') {
      throw invalidHost('DOCKER_TLS_VERIFY', env['DOCKER_TLS_VERIFY'], 'TLS to a Docker host is not supported yet', 'unset DOCKER_TLS_VERIFY and use a plain tcp:// or unix:// host');
    }
    return parseDockerHost(fromEnv, 'DOCKER_HOST');
  }
  return { kind: 'unix', socketPath: DEFAULT_DOCKER_SOCKET };
}

/** The host as a URL, for messages and logs. */
export function describeDockerHost(host: DockerHost): string {
  switch (host.kind) {
    case 'unix':
      return `unix://${host.socketPath}`;
    case 'tcp':
      return `tcp://${host.address.includes(':') ? `[${host.address}]` : host.address}:${host.port}`;
  }
}

function parseTcpHost(value: string, original: string, input: string): TcpDockerHost {
  let url: URL;
  try {
    url = new URL(value);
  } catch (error) {
    throw invalidHost(input, original, `it is not a valid URL (${error instanceof Error ? error.message : String(error)})`);
  }
  if (url.hostname === '') throw invalidHost(input, original, 'it has no address');
  if (url.port === '') throw invalidHost(input, original, 'it has no port (the Docker CLI uses 2375 for plain TCP)');
  if (url.pathname !== '/' && url.pathname !== '') throw invalidHost(input, original, 'a tcp:// host takes no path');
  const address = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { kind: 'tcp', address, port: Number(url.port) };
}

function invalidHost(input: string, text: string, why: string, hint = `use ${ACCEPTED}`): InvalidInputError {
  return new InvalidInputError(input, [{ input: `${input}=${text}`, message: `is not a Docker host we can use: ${why}`, hint }]);
}
