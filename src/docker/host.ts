/**
 * Which Docker Engine a command talks to. A host is resolved once, at the edge, from `--host`,
 * DOCKER_HOST or a Docker context, into a tagged union; the adapter turns it into connection
 * options. `parseDockerHost` is pure; `resolveDockerHost` also reads the Docker config folder
 * and checks TLS files.
 */
import { join } from 'node:path';
import { InvalidInputError, messageOf } from '../shared/errors.js';
import {
  dockerConfigDir,
  listDockerContexts,
  readCurrentContext,
  readDockerContext,
  type Environment,
} from './docker-config.js';
import {
  hasTlsFlags,
  tlsFilesFromCertPath,
  tlsFilesFromFlags,
  tlsFilesOfContext,
  type DockerHostOptions,
} from './tls-files.js';

/** The engine's local Unix socket. */
export interface UnixDockerHost {
  readonly kind: 'unix';
  readonly socketPath: string;
}

/** Files that secure a tcp:// host with TLS, as the Docker CLI takes them. */
export interface TlsFiles {
  /** PEM bundle the engine's certificate must chain to. @default the system's CAs */
  readonly caFile?: string;
  /** PEM client certificate the engine checks; given together with `keyFile`. */
  readonly certFile?: string;
  readonly keyFile?: string;
  /** Check the engine's certificate and name; false only for a context with SkipTLSVerify. */
  readonly verify: boolean;
}

/** An engine API over TCP, such as an engine in a private network namespace or behind TLS. */
export interface TcpDockerHost {
  readonly kind: 'tcp';
  readonly address: string;
  readonly port: number;
  /** Absent for plain TCP. */
  readonly tls?: TlsFiles;
}

/** An engine reached through ssh, where `docker system dial-stdio` bridges to its socket. */
export interface SshDockerHost {
  readonly kind: 'ssh';
  /** @default the local user name, as ssh does */
  readonly user?: string;
  readonly address: string;
  readonly port: number;
}

/** A host that names its own endpoint. */
export type EndpointDockerHost = UnixDockerHost | TcpDockerHost | SshDockerHost;

/** A Docker context (`docker context create`), kept by name so messages say which one. */
export interface ContextDockerHost {
  readonly kind: 'context';
  readonly name: string;
  readonly endpoint: EndpointDockerHost;
}

/** A Docker Engine endpoint. */
export type DockerHost = EndpointDockerHost | ContextDockerHost;

/** Where the engine listens when neither `--host`, DOCKER_HOST nor a context says otherwise. */
export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/** The port ssh listens on unless the URL says otherwise. */
export const DEFAULT_SSH_PORT = 22;

/** The forms `--host` accepts, for hints. */
export const ACCEPTED_HOSTS =
  'unix:///path/to/docker.sock, tcp://address:port, ssh://user@host[:port] or the name of a Docker context';
const ACCEPTED_URLS = 'a URL: unix:///path/to/docker.sock, tcp://address:port or ssh://user@host[:port]';

/** Docker CLI's rule for context names (`docker context create`). */
const CONTEXT_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$/;
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** True when the text has a URL scheme, so it is a URL and not a context name. */
function hasScheme(text: string): boolean {
  return SCHEME.test(text.trim());
}

/** True when the text could name a Docker context. */
function isContextName(text: string): boolean {
  return CONTEXT_NAME.test(text);
}

/**
 * Parses a host URL as the Docker CLI writes it. Context names need files and go through
 * `resolveDockerHost` instead.
 * @param text the URL, such as `unix:///run/docker.sock`, `tcp://10.0.0.5:2376` or `ssh://ci@builder-1`
 * @param input the flag or variable it came from, named in errors
 */
export function parseDockerHost(text: string, input = '--host'): EndpointDockerHost {
  const value = text.trim();
  if (value.startsWith('unix://')) {
    const socketPath = value.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw invalidHost(input, text, 'a Unix socket needs an absolute path');
    return { kind: 'unix', socketPath };
  }
  if (value.startsWith('tcp://')) return parseTcpHost(value, text, input);
  if (value.startsWith('ssh://')) return parseSshHost(value, text, input);
  if (SCHEME.test(value)) {
    const scheme = value.slice(0, value.indexOf(':'));
    throw invalidHost(input, text, `the ${scheme}:// scheme is not one Gyre can use`);
  }
  if (input === '--host') throw invalidHost(input, text, 'it is neither a URL with a scheme nor a Docker context name');
  throw invalidHost(
    input,
    text,
    input === 'DOCKER_HOST' ? 'it has no scheme (a Docker context name belongs in DOCKER_CONTEXT)' : 'it has no scheme',
  );
}

/**
 * Picks the host the way the Docker CLI does: `--host` (a URL or a context name), then
 * DOCKER_HOST, then DOCKER_CONTEXT, then the current context of the Docker config folder
 * (DOCKER_CONFIG, else ~/.docker), then the default local socket.
 *
 * A tcp:// host gets TLS from the TLS flags, else, when DOCKER_TLS_VERIFY is set to anything
 * (even `0`, as for the Docker CLI), from ca.pem, cert.pem and key.pem in DOCKER_CERT_PATH.
 * A context brings its own TLS files.
 * @param flag the value of `--host`, if given
 * @param env the environment, usually `process.env`
 * @param options the TLS flags
 */
export function resolveDockerHost(
  flag: string | undefined,
  env: Environment,
  options: DockerHostOptions = {},
): DockerHost {
  const configDir = dockerConfigDir(env);
  const host = pickHost(flag, env, configDir);
  if (hasTlsFlags(options)) {
    if (host.kind !== 'tcp') throw tlsNeedsTcp(host);
    return { ...host, tls: tlsFilesFromFlags(options) };
  }
  const verify = env['DOCKER_TLS_VERIFY'];
  if (host.kind === 'tcp' && verify !== undefined && verify !== '')
    return { ...host, tls: tlsFilesFromCertPath(env, configDir) };
  return host;
}

/** The host as a URL, for messages and logs; a context also shows its name. */
export function describeDockerHost(host: DockerHost): string {
  switch (host.kind) {
    case 'unix':
      return `unix://${host.socketPath}`;
    case 'tcp':
      return `tcp://${bracketed(host.address)}:${host.port}`;
    case 'ssh':
      return `ssh://${host.user === undefined ? '' : `${host.user}@`}${bracketed(host.address)}${host.port === DEFAULT_SSH_PORT ? '' : `:${host.port}`}`;
    case 'context':
      return `context ${host.name} (${describeDockerHost(host.endpoint)})`;
  }
}

/** The error for a host text that cannot be used, naming the input and the accepted forms. */
function invalidHost(
  input: string,
  text: string,
  why: string,
  hint = `use ${input === '--host' ? ACCEPTED_HOSTS : ACCEPTED_URLS}`,
): InvalidInputError {
  return new InvalidInputError(input, [
    { input: `${input}=${text}`, message: `is not a Docker host we can use: ${why}`, hint },
  ]);
}

function pickHost(flag: string | undefined, env: Environment, configDir: string): DockerHost {
  if (flag !== undefined) {
    const value = flag.trim();
    return hasScheme(value) || !isContextName(value)
      ? parseDockerHost(flag, '--host')
      : contextHost(value, '--host', configDir);
  }
  const fromEnv = env['DOCKER_HOST'];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return parseDockerHost(fromEnv, 'DOCKER_HOST');
  const fromContextEnv = env['DOCKER_CONTEXT']?.trim();
  if (fromContextEnv) return contextHost(fromContextEnv, 'DOCKER_CONTEXT', configDir);
  const current = readCurrentContext(configDir);
  if (current !== undefined)
    return contextHost(current, `currentContext of ${join(configDir, 'config.json')}`, configDir);
  return { kind: 'unix', socketPath: DEFAULT_DOCKER_SOCKET };
}

/** A context by name; `default` is the local socket, as for the Docker CLI without DOCKER_HOST. */
function contextHost(name: string, input: string, configDir: string): DockerHost {
  if (name === 'default') return { kind: 'unix', socketPath: DEFAULT_DOCKER_SOCKET };
  const context = readDockerContext(configDir, name);
  if (context === undefined) {
    const known = listDockerContexts(configDir).join(', ');
    throw new InvalidInputError(input, [
      {
        input: `${input}=${name}`,
        message: `names no Docker context; the contexts in ${configDir} are: ${known}`,
        hint: `use one of them (see \`docker context ls\`), or ${ACCEPTED_URLS}`,
      },
    ]);
  }
  if (context.host === '') {
    throw new InvalidInputError(input, [
      {
        input: context.metaFile,
        message: `context ${name} has no Endpoints.docker.Host`,
        hint: `recreate it with \`docker context create ${name} --docker host=...\``,
      },
    ]);
  }
  const endpoint = parseDockerHost(context.host, `Endpoints.docker.Host of context ${name} (${context.metaFile})`);
  const tls = endpoint.kind === 'tcp' ? tlsFilesOfContext(context) : undefined;
  if (endpoint.kind !== 'tcp' || tls === undefined) return { kind: 'context', name, endpoint };
  return { kind: 'context', name, endpoint: { ...endpoint, tls } };
}

function tlsNeedsTcp(host: DockerHost): InvalidInputError {
  const why =
    host.kind === 'context'
      ? 'a Docker context brings its own TLS files'
      : `${describeDockerHost(host)} is not a tcp:// host`;
  return new InvalidInputError('TLS flags', [
    {
      input: '--tls-ca/--tls-cert/--tls-key',
      message: `apply only to a tcp:// host given as a URL, and ${why}`,
      hint: 'drop the TLS flags, or pass --host tcp://address:2376',
    },
  ]);
}

function parseTcpHost(value: string, original: string, input: string): TcpDockerHost {
  const url = parseUrl(value, original, input);
  if (url.port === '')
    throw invalidHost(input, original, 'it has no port (the Docker CLI uses 2375 for plain TCP, 2376 for TLS)');
  if (url.username !== '') throw invalidHost(input, original, 'a tcp:// host takes no user');
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '')
    throw invalidHost(input, original, 'a tcp:// host takes no path');
  return { kind: 'tcp', address: unbracketed(url.hostname), port: Number(url.port) };
}

function parseSshHost(value: string, original: string, input: string): SshDockerHost {
  const url = parseUrl(value, original, input);
  if (url.password !== '')
    throw invalidHost(
      input,
      original,
      'a password in the URL is not supported',
      'use ssh://user@host and an ssh key (ssh-agent or ~/.ssh/id_*)',
    );
  if (url.pathname !== '' || url.search !== '') throw invalidHost(input, original, 'an ssh:// host takes no path');
  const port = url.port === '' ? DEFAULT_SSH_PORT : Number(url.port);
  const address = unbracketed(url.hostname);
  return url.username === ''
    ? { kind: 'ssh', address, port }
    : { kind: 'ssh', user: decodeURIComponent(url.username), address, port };
}

function parseUrl(value: string, original: string, input: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch (error) {
    throw invalidHost(input, original, `it is not a valid URL (${messageOf(error)})`);
  }
  if (url.hostname === '') throw invalidHost(input, original, 'it has no address');
  if (url.port === '0') throw invalidHost(input, original, 'port 0 is not a port an engine listens on');
  if (url.hash !== '') throw invalidHost(input, original, 'it has a #fragment');
  return url;
}

function bracketed(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

function unbracketed(hostname: string): string {
  return hostname.replace(/^\[(.*)\]$/, '$1');
}
