/**
 * The package's programmatic API: `GyreEnvironment`, a testcontainers module that starts the
 * whole platform (services box, builders and a git server) for integration tests.
 *
 * It needs `testcontainers` installed beside Gyre, a Linux Docker Engine with Compose v2, and
 * Gyre's images on that engine (`gyre images build --offline`).
 */
export {
  GyreEnvironment,
  StartedGyreEnvironment,
  type CreateProjectOptions,
  type PushOptions,
  type WaitForPipelineOptions,
  type RestartServicesOptions,
  type GitHubSettings,
  type ApiInit,
  type BuilderSize,
} from './testing/gyre-environment.js';
export { GyreEnvironmentError } from './testing/errors.js';
export type {
  GyreProject,
  PipelineView,
  PipelineState,
  WorkflowView,
  JobView,
  JobState,
  PipelineResult,
} from './testing/types.js';
