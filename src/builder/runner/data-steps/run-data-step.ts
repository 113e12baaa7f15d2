/**
 * The steps that move data between jobs: caches, workspaces, artifacts and test results. Files
 * move through the engine's archive API, so the job's image needs nothing extra (no tar, no
 * curl), and through the services box over the builder's lease-scoped transfer routes.
 */
import { messageOf } from '../../../shared/errors.js';
import type { Step } from '../types.js';
import { storeArtifacts, storeTestResults } from './artifact-steps.js';
import { restoreCache, saveCache } from './cache-steps.js';
import { failed, type DataStepContext, type DataStepEnd } from './data-step-context.js';
import { attachWorkspace, persistToWorkspace } from './workspace-steps.js';

export type DataStep = Exclude<Step, { type: 'checkout' | 'run' | 'add_ssh_keys' | 'setup_remote_docker' }>;

/** Runs one data step; a failure to move the data fails the step with the reason, never the builder. */
export async function runDataStep(ctx: DataStepContext, step: DataStep): Promise<DataStepEnd> {
  try {
    return await dispatch(ctx, step);
  } catch (error) {
    return failed(ctx, `${step.type} could not move its data: ${messageOf(error)}`);
  }
}

function dispatch(ctx: DataStepContext, step: DataStep): Promise<DataStepEnd> {
  switch (step.type) {
    case 'save_cache':
      return saveCache(ctx, step);
    case 'restore_cache':
      return restoreCache(ctx, step);
    case 'persist_to_workspace':
      return persistToWorkspace(ctx, step);
    case 'attach_workspace':
      return attachWorkspace(ctx, step);
    case 'store_artifacts':
      return storeArtifacts(ctx, step);
    case 'store_test_results':
      return storeTestResults(ctx, step);
  }
}
