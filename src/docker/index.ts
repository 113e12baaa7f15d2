/**
 * The Docker adapter: host parsing and the client interfaces with their dockerode implementation.
 */
export { parseDockerHost, resolveDockerHost, describeDockerHost, DEFAULT_DOCKER_SOCKET, type DockerHost, type UnixDockerHost, type TcpDockerHost } from './host.js';
export { createDockerClient, splitTag } from './dockerode-client.js';
export { toDockerError, statusCodeOf, engineErrorMessage } from './errors.js';
export type { DockerClient, EngineClient, ImageClient, ImageDetails, EngineVersion, BuildRequest, ImportRequest, ProgressListener } from './types.js';
