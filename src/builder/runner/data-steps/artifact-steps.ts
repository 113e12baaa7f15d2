/**
 * `store_artifacts` and `store_test_results`. An artifact is named by its `destination` (by
 * default the path itself, without its leading `/`, as CircleCI lists it) plus its place under
 * `path`; the services box makes one artifact of each file. Test results go to the services box,
 * which parses the JUnit XML in them: a file it cannot read is a warning here, never a failure.
 * A missing path is a warning for both, as in CircleCI.
 */
import { posix } from 'node:path';
import type { StoreArtifactsStep, StoreTestResultsStep } from '../types.js';
import { packSources } from './archives.js';
import { resolveInContainer } from './container-paths.js';
import { SUCCEEDED, type DataStepContext, type DataStepEnd } from './data-step-context.js';
import { formatRoundedByteSize } from '../../../shared/byte-size.js';

export async function storeArtifacts(ctx: DataStepContext, step: StoreArtifactsStep): Promise<DataStepEnd> {
  const path = resolveInContainer(step.path, ctx.places);
  if (!(await ctx.backend.hasPath(ctx.primary, path))) {
    ctx.log(`Warning: ${path} does not exist; no artifacts were stored`);
    return SUCCEEDED;
  }
  const destination = posix.normalize(step.destination ?? path).replace(/^\/+|\/+$/g, '');
  const stored = await ctx.transfers.uploadArtifacts(
    packSources(ctx.backend, ctx.primary, [{ path, name: destination }], () => undefined),
  );
  ctx.log(
    `Stored ${stored.files} artifact${stored.files === 1 ? '' : 's'} (${formatRoundedByteSize(stored.bytes)}) from ${path}`,
  );
  return SUCCEEDED;
}

export async function storeTestResults(ctx: DataStepContext, step: StoreTestResultsStep): Promise<DataStepEnd> {
  const path = resolveInContainer(step.path, ctx.places);
  if (!(await ctx.backend.hasPath(ctx.primary, path))) {
    ctx.log(`Warning: ${path} does not exist; no test results were stored`);
    return SUCCEEDED;
  }
  const receipt = await ctx.transfers.uploadTestResults(
    packSources(ctx.backend, ctx.primary, [{ path, name: posix.basename(path) }], () => undefined),
  );
  for (const warning of receipt.warnings) ctx.log(`Warning: ${warning}`);
  ctx.log(`Stored the results of ${receipt.tests} tests from ${path} (${receipt.failures} failed)`);
  return SUCCEEDED;
}
