/**
 * Renders a cache key template with what only the running job knows: its branch, commit, build
 * number, environment, the checksum of a file in the primary container, the time and the machine.
 */
import { createHash } from 'node:crypto';
import { GyreError } from '../../../shared/errors.js';
import { eachEntry } from '../../../shared/tar-streams.js';
import { builtInEnvironment } from '../environment.js';
import { parseKeyTemplate, renderKeyTemplate } from '../../../shared/cache-key-template.js';
import { resolveInContainer } from './container-paths.js';
import type { DataStepContext } from './data-step-context.js';

export async function renderCacheKey(ctx: DataStepContext, template: string): Promise<string> {
  const { job } = ctx;
  const parsed = parseKeyTemplate(template);
  // The services box checked the template when it read the config; this is a lease from elsewhere.
  if (!parsed.ok) throw new GyreError(`cache key ${template}: ${parsed.problems.join('; ')}`);
  return renderKeyTemplate(parsed.parts, {
    branch: job.context.branch ?? '',
    revision: job.context.sha,
    buildNum: job.jobId,
    // As CircleCI: its own variables and the project's and contexts', not the config's `environment`.
    environment: { ...builtInEnvironment(job), ...job.projectVariables },
    checksum: (file: string) => checksumOf(ctx, resolveInContainer(file, ctx.places)),
    epoch: Math.floor(Date.now() / 1000),
    arch: ctx.arch,
  });
}

/** The base64 SHA-256 of a file in the primary container, as CircleCI's `checksum` gives it. */
async function checksumOf(ctx: DataStepContext, path: string): Promise<string> {
  const hash = createHash('sha256');
  await eachEntry(await ctx.backend.getArchive(ctx.primary, path), (header, body) => {
    if (header.type === 'file') body.on('data', (chunk: unknown) => void hash.update(chunk as Buffer));
  });
  return hash.digest('base64');
}
