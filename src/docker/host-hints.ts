/**
 * What to check when a Docker host cannot be reached, by kind of host: the one place that
 * knows how each kind fails, shared by the adapter's errors and the preflight.
 */
import {
  describeDockerHost,
  DEFAULT_SSH_PORT,
  type DockerHost,
  type SshDockerHost,
  type TcpDockerHost,
} from './host.js';

/** Where a connection broke: before anything answered, or in the TLS handshake. */
export type FailureStage = 'connect' | 'tls';

/** Questions that point at the usual causes, in the order to check them. */
export function unreachableHints(host: DockerHost, stage: FailureStage = 'connect'): string {
  switch (host.kind) {
    case 'unix':
      return `Is dockerd running on this machine, and may this user open ${host.socketPath} (root, or a member of the docker group)?`;
    case 'tcp':
      return tcpHints(host, stage);
    case 'ssh':
      return sshHints(host);
    case 'context':
      return `Docker context ${host.name} points at ${describeDockerHost(host.endpoint)}. ${unreachableHints(host.endpoint, stage)}`;
  }
}

function tcpHints(host: TcpDockerHost, stage: FailureStage): string {
  const reach = `Is dockerd running on ${host.address} and listening on TCP port ${host.port}? Does a firewall between here and there let port ${host.port} through?`;
  if (host.tls === undefined) {
    return `${reach} If the engine expects TLS (usually on port 2376), pass --tls-ca, --tls-cert and --tls-key, or set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH.`;
  }
  const files = [host.tls.caFile, host.tls.certFile, host.tls.keyFile].filter((file) => file !== undefined);
  const verify = host.tls.verify
    ? ` Was the engine's certificate signed by ${host.tls.caFile ?? 'a CA this system trusts'}, is it still valid, and does it name ${host.address}?`
    : '';
  const tls = `Do the TLS files (${files.length > 0 ? files.join(', ') : 'none'}) belong to this engine?${verify} ${host.tls.certFile === undefined ? 'If the engine asks for a client certificate (dockerd --tlsverify), give --tls-cert and --tls-key.' : 'Does the engine trust the client certificate (dockerd --tlsverify --tlscacert)?'}`;
  return stage === 'tls' ? tls : `${reach} ${tls}`;
}

/** The arguments of `ssh` that reach the host, such as `-p 2222 ci@builder-1`. */
export function sshArguments(host: SshDockerHost): string {
  return `${host.port === DEFAULT_SSH_PORT ? '' : `-p ${host.port} `}${host.user === undefined ? '' : `${host.user}@`}${host.address}`;
}

function sshHints(host: SshDockerHost): string {
  return (
    `Does \`ssh ${sshArguments(host)} docker version\` work from this shell? Check that sshd on ${host.address} is reachable through the firewall, ` +
    'that your key is loaded in ssh-agent (SSH_AUTH_SOCK) or is ~/.ssh/id_ed25519, id_ecdsa or id_rsa without a passphrase, ' +
    'that the host key in ~/.ssh/known_hosts is current, and that the docker CLI is installed there and the user may use its engine.'
  );
}
