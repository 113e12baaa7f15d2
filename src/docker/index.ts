/**
 * The Docker adapter: host resolution, the preflight, and the client interfaces with their
 * dockerode implementation.
 */
export {
  parseDockerHost,
  resolveDockerHost,
  describeDockerHost,
  DEFAULT_DOCKER_SOCKET,
  ACCEPTED_HOSTS,
  type DockerHost,
  type EndpointDockerHost,
  type UnixDockerHost,
  type TcpDockerHost,
  type SshDockerHost,
  type ContextDockerHost,
  type TlsFiles,
} from './host.js';
export type { DockerHostOptions } from './tls-files.js';
export type { Environment } from './docker-config.js';
export { composeEnvironment, DOCKER_CLI_VARIABLES, type ComposeEnvironment } from './compose-environment.js';
export {
  preflightDockerHost,
  MIN_ENGINE_API_VERSION,
  DEFAULT_PREFLIGHT_TIMEOUT_MS,
  type EngineFacts,
  type PreflightOptions,
} from './preflight.js';
export { createDockerClient, splitTag } from './dockerode-client.js';
export type {
  ContainerClient,
  ExecRun,
  ExecOptions,
  FinishedRun,
  InteractiveExec,
  InteractiveSpec,
  RunSpec,
} from './container-client.js';
export { DockerodeContainers } from './container-client.js';
export { toDockerError, statusCodeOf, engineErrorMessage, HelperExitError, isHelperExit } from './errors.js';
export { DockerJobBackend, JOB_BRIDGE_PREFIX } from './docker-job-backend.js';
export type {
  JobBackend,
  ContainerSpec,
  ContainerLimits,
  ExecRequest,
  RegistryAuth,
  StreamedContainer,
  VolumeUsage,
} from './job-backend.js';
export type {
  DockerClient,
  EngineClient,
  ImageClient,
  ImageDetails,
  EngineInfo,
  EngineVersion,
  BuildRequest,
  ImportRequest,
  ProgressListener,
} from './types.js';
