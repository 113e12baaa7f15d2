/**
 * The environment that points the `docker compose` CLI at a host, in the variables the Docker
 * CLI reads: DOCKER_HOST (plus DOCKER_TLS_VERIFY and DOCKER_CERT_PATH for TLS) or DOCKER_CONTEXT.
 */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describeDockerHost, type DockerHost } from './host.js';

export interface ComposeEnvironment {
  readonly env: Readonly<Record<string, string>>;
  /** Removes the temporary certificate folder, if one was made. */
  dispose(): void;
}

/** Variables that would override ours if inherited from the caller's shell. */
export const DOCKER_CLI_VARIABLES = ['DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH'] as const;

export function composeEnvironment(host: DockerHost): ComposeEnvironment {
  if (host.kind === 'context') return { env: { DOCKER_CONTEXT: host.name }, dispose: () => undefined };
  const env: Record<string, string> = { DOCKER_HOST: describeDockerHost(host) };
  if (host.kind !== 'tcp' || host.tls === undefined) return { env, dispose: () => undefined };
  // The Docker CLI takes TLS files only as ca.pem / cert.pem / key.pem in one folder.
  const dir = mkdtempSync(join(tmpdir(), 'gyre-docker-tls-'));
  const { caFile, certFile, keyFile, verify } = host.tls;
  if (caFile) symlinkSync(resolve(caFile), join(dir, 'ca.pem'));
  if (certFile) symlinkSync(resolve(certFile), join(dir, 'cert.pem'));
  if (keyFile) symlinkSync(resolve(keyFile), join(dir, 'key.pem'));
  Object.assign(env, { DOCKER_CERT_PATH: dir, ...(verify && { DOCKER_TLS_VERIFY: '1' }) });
  return { env, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
