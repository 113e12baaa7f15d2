/**
 * What Gyre refuses, and why. Security refusals are permanent: pipeline YAML can never reach
 * the builder's host (ARCHITECTURE.md, "Running a job on a builder"). The rest are CircleCI
 * features later issues may add, so their message says "not supported yet".
 */

const SECURITY_KEYS: Readonly<Record<string, string>> = {
  privileged: 'privileged containers',
  docker_layer_caching: 'Docker layer caching (it needs the host Docker daemon)',
  volumes: 'volumes (host mounts)',
  mounts: 'mounts (host mounts)',
  network_mode: 'network_mode (the host network)',
  cap_add: 'extra Linux capabilities',
  devices: 'host devices',
  security_opt: 'security options',
  pid: 'the host PID namespace',
  ipc: 'the host IPC namespace',
  docker_socket: 'the Docker socket',
};

const NOT_YET: Readonly<Record<string, string>> = {
  setup: 'dynamic configuration (`setup: true`) is not supported yet',
  macos: 'the macos executor is not supported yet; use the docker executor',
  windows: 'the windows executor is not supported yet; use the docker executor',
  aws_auth:
    'ECR credentials (`aws_auth`) are not supported yet; use a public image or one your builders can already pull',
  circleci_ip_ranges: 'circleci_ip_ranges is not supported: Gyre runs on your own network',
};

/** A message for a key Gyre knows but refuses, or `undefined` for a key it does not know. */
export function explainUnsupportedKey(key: string, where: string): string | undefined {
  const security = SECURITY_KEYS[key];
  if (security !== undefined) {
    return `${where} may not request ${security}: pipeline configs can never use privileged mode, host mounts, the Docker socket or the host network`;
  }
  return Object.hasOwn(NOT_YET, key) ? NOT_YET[key] : undefined;
}
