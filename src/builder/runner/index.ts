/**
 * The job runner: runs one leased job on the local Docker Engine and cleans up after it.
 */
export { runJob, SETUP_STEP_INDEX } from './run-job.js';
export { cleanupAttempt, cleanupBuilder } from './cleanup.js';
export { BackgroundCleanup } from './background-cleanup.js';
export { ImageToolsCache } from './image-tools-cache.js';
export { JobResourcePool, MAX_POOL_SIZE } from './resource-pool.js';
export { ToolsVolume } from './tools-volume.js';
export { ImageUnavailableError } from './environment-setup.js';
export type * from './types.js';
export { unreachableProxies, type Outbound } from './outbound.js';
export { LayerCaches } from './layer-cache.js';
export { checkEngineStarts } from './remote-docker.js';
