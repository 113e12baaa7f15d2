/**
 * Connecting to the Docker host a command names, with the preflight run before anything changes.
 */
import {
  createDockerClient,
  describeDockerHost,
  preflightDockerHost,
  resolveDockerHost,
  type DockerClient,
  type DockerHost,
  type DockerHostOptions,
  type EngineFacts,
} from '../docker/index.js';

export interface ConnectedHost {
  /** `--host` as typed (undefined: DOCKER_HOST, a context, or the local socket). */
  readonly text: string | undefined;
  readonly tls: DockerHostOptions;
  readonly host: DockerHost;
  readonly docker: DockerClient;
  readonly facts: EngineFacts;
  readonly description: string;
}

export async function connectHost(
  text: string | undefined,
  tls: DockerHostOptions = {},
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<ConnectedHost> {
  const host = resolveDockerHost(text, env, tls);
  const docker = createDockerClient(host, env);
  const facts = await preflightDockerHost(docker);
  return { text, tls, host, docker, facts, description: describeDockerHost(host) };
}

/** Whether the host is this machine's engine, where loopback reaches the services box. */
export function isLocalHost(host: DockerHost): boolean {
  const endpoint = host.kind === 'context' ? host.endpoint : host;
  return endpoint.kind === 'unix' || (endpoint.kind === 'tcp' && /^(127\.|::1$|localhost$)/.test(endpoint.address));
}

/** The address other machines reach a host's published ports at, when the host URL says. */
export function addressOf(host: DockerHost): string | undefined {
  const endpoint = host.kind === 'context' ? host.endpoint : host;
  return endpoint.kind === 'unix' ? undefined : endpoint.address;
}
