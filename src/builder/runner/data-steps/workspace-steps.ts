/**
 * `persist_to_workspace` and `attach_workspace`, CircleCI's way: a job adds the paths under
 * `root` (plain paths or globs, relative to `root`) as a layer of its workflow's workspace, and a
 * downstream job unpacks the layers of every job upstream of it at `at`, in order, a later layer
 * winning. A path that does not exist fails the step, as in CircleCI.
 */
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import picomatch from 'picomatch';
import type { AttachWorkspaceStep, PersistToWorkspaceStep } from '../types.js';
import { packSources, unpackAt, type ArchiveSource } from './archives.js';
import { resolveInContainer } from './container-paths.js';
import { linkedParents, packInHelper, unpackInHelper, uploading, withHelperOrEngine } from './tar-helper.js';
import { failed, SUCCEEDED, type DataStepContext, type DataStepEnd } from './data-step-context.js';
import { formatRoundedByteSize } from '../../../shared/byte-size.js';

const GLOB_CHARACTERS = /[*?[\]{}!]/;

export async function persistToWorkspace(ctx: DataStepContext, step: PersistToWorkspaceStep): Promise<DataStepEnd> {
  const root = resolveInContainer(step.root, ctx.places);
  const sources: ArchiveSource[] = [];
  for (const pattern of step.paths) {
    const relative = posix
      .normalize(pattern)
      .replace(/^\.\/?/, '')
      .replace(/\/$/, '');
    if (GLOB_CHARACTERS.test(relative)) {
      sources.push({ path: root, name: '', keep: globKeeper(relative) });
      continue;
    }
    const path = relative === '' ? root : posix.join(root, relative);
    if (!(await ctx.backend.hasPath(ctx.primary, path)))
      return failed(ctx, `${path} does not exist, so it cannot be persisted to the workspace (root ${root})`);
    sources.push({ path, name: relative });
  }
  ctx.log(`Persisting ${step.paths.join(', ')} under ${root} to the workspace`);
  const upload = (body: Readable) => uploading(body, (b) => ctx.transfers.uploadWorkspaceLayer(b));
  // Globs are matched as CircleCI matches them (picomatch) on the archive API's entries; tar has
  // no such matching, so a step with one goes that way.
  const names = sources.map((source) => source.name || '.');
  // `root/.` has the root itself checked, not only the folder above it.
  const checked = names.map((name) => (name === '.' ? `${root}/.` : posix.join(root, name)));
  await withHelperOrEngine(
    ctx,
    'the workspace layer',
    {
      helper: (helper) => upload(packInHelper(ctx, helper, root, names)),
      engine: () => upload(packSources(ctx.backend, ctx.primary, sources, () => undefined)),
    },
    async () => sources.every((s) => s.keep === undefined) && (await linkedParents(ctx, checked)).length === 0,
  );
  return SUCCEEDED;
}

export async function attachWorkspace(ctx: DataStepContext, step: AttachWorkspaceStep): Promise<DataStepEnd> {
  const at = resolveInContainer(step.at, ctx.places);
  const layers = await ctx.transfers.workspaceLayers();
  if (layers.length === 0) {
    ctx.log('No upstream job persisted anything to the workspace: nothing to attach');
    return SUCCEEDED;
  }
  const helperFits = ctx.helper !== undefined && (await linkedParents(ctx, [`${at}/.`])).length === 0;
  for (const layer of layers) {
    ctx.log(`Attaching the workspace layer of ${layer.job} (${formatRoundedByteSize(layer.size)}) at ${at}`);
    const download = () => ctx.transfers.downloadWorkspaceLayer(layer.digest);
    await withHelperOrEngine(
      ctx,
      `the workspace layer of ${layer.job}`,
      {
        helper: async (helper) => unpackInHelper(ctx, helper, at, await download()),
        engine: async () => unpackAt(ctx.backend, ctx.primary, at, await download(), ctx.owner),
      },
      () => Promise.resolve(helperFits),
    );
  }
  return SUCCEEDED;
}

/** Keeps an entry the glob matches, or one inside a folder it matches. */
function globKeeper(glob: string): (name: string) => boolean {
  const matches = picomatch(glob, { dot: true });
  return (name) => {
    const parts = name.split('/');
    return parts.some((_, i) => matches(parts.slice(0, i + 1).join('/')));
  };
}
