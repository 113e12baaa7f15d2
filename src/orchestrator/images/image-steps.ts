/**
 * One step per image: decide whether the image on the host is current, and build it if not.
 * "Current" means it carries the fingerprint of the inputs we would build it from now.
 */
import { LABELS } from '../../shared/labels.js';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Settings } from '../../config/index.js';
import { readExtraCa } from '../../shared/extra-ca.js';
import type { DockerClient, ImageDetails, ProgressListener } from '../../docker/index.js';
import { GyreError, InvalidInputError } from '../../shared/errors.js';
import {
  baseImageOf,
  contentBuildArgs,
  imageLabels,
  imageRefOf,
  nodePackageSpec,
  NPM_SPEC,
  sourceBuildArgs,
  type ImageKind,
} from './build-args.js';
import { listContextFiles, stageContext, type ContextSource, type StagedContext } from './context.js';
import { buildDebianBase } from './debian-base.js';
import { computeInputsHash, INPUTS_LABEL } from './inputs-hash.js';
import { stageNodeBaseContext } from './node-base.js';

/** What happened to one image. */
export interface ImageResult {
  readonly kind: ImageKind;
  readonly ref: string;
  readonly id: string;
  readonly outcome: 'built' | 'reused';
  /** Why it was built or reused, for humans. */
  readonly reason: string;
}

/** What every step needs. */
export interface StepContext {
  readonly settings: Settings;
  readonly docker: DockerClient;
  readonly packageRoot: string;
  readonly version: string;
  readonly mirror: string;
  readonly rebuild: boolean;
  readonly offline: boolean;
}

/** Makes sure the Debian base exists: any image under that name is used as-is unless --rebuild. */
export async function ensureDebianBase(ctx: StepContext, onLine: ProgressListener): Promise<ImageResult> {
  const ref = ctx.settings.images.baseDebian;
  const existing = await ctx.docker.inspectImage(ref);
  if (existing && !ctx.rebuild)
    return { kind: 'base-debian', ref, id: existing.id, outcome: 'reused', reason: 'already on the host' };
  const id = await buildDebianBase(ctx.docker, ref, ctx.mirror, onLine);
  return { kind: 'base-debian', ref, id, outcome: 'built', reason: existing ? '--rebuild' : 'missing' };
}

/** Builds the node base from the Debian base unless a current one exists. */
export async function ensureNodeBase(ctx: StepContext, onLine: ProgressListener): Promise<ImageResult> {
  const dockerfile = join(ctx.packageRoot, 'images/base-node/Dockerfile');
  const nodeSpec = nodePackageSpec((await ctx.docker.version()).arch);
  const base = await requireBase(ctx, 'base-node', onLine);
  // The tarballs are not fetched just to fingerprint them: the package specs stand for them.
  const files = [
    {
      path: 'Dockerfile',
      sha256: createHash('sha256').update(readFileSync(dockerfile)).digest('hex'),
      executable: false,
    },
  ];
  const inputs = computeInputsHash({
    files,
    args: { ...contentBuildArgs('base-node', ctx.settings), NODE: nodeSpec, NPM: NPM_SPEC },
    baseImageId: base.id,
    labels: { [LABELS.version]: ctx.version },
  });
  return buildIfChanged(ctx, 'base-node', inputs, () => stageNodeBaseContext(dockerfile, nodeSpec, onLine), onLine);
}

/** Builds the database image unless a current one exists. */
export function ensureDbImage(ctx: StepContext, onLine: ProgressListener): Promise<ImageResult> {
  return ensurePackagedImage(ctx, 'db', 'postgres', ['docker-entrypoint.sh'], onLine);
}

/** Builds the per-job Docker engine image (`setup_remote_docker`) unless a current one exists. */
export function ensureEngineImage(ctx: StepContext, onLine: ProgressListener): Promise<ImageResult> {
  return ensurePackagedImage(ctx, 'engine', 'engine', ['gyre-engine'], onLine);
}

/** Builds the image `machine` jobs run in unless a current one exists. */
export function ensureMachineImage(ctx: StepContext, onLine: ProgressListener): Promise<ImageResult> {
  return ensurePackagedImage(ctx, 'machine', 'machine', [], onLine);
}

/** An image of Debian packages: its Dockerfile and `files` from `images/<folder>`, and the extra CA. */
function ensurePackagedImage(
  ctx: StepContext,
  kind: ImageKind,
  folder: string,
  files: readonly string[],
  onLine: ProgressListener,
): Promise<ImageResult> {
  const dir = join(ctx.packageRoot, 'images', folder);
  const sources = ['Dockerfile', ...files].map((file) => ({ to: file, copyFrom: join(dir, file) }));
  return buildStaged(ctx, kind, [...sources, extraCaSource(ctx.settings)], onLine);
}

/** Builds the application image from the compiled dist/ unless a current one exists. */
export async function ensureAppImage(ctx: StepContext, onLine: ProgressListener): Promise<ImageResult> {
  const root = ctx.packageRoot;
  const sources: ContextSource[] = [
    { to: 'Dockerfile', copyFrom: join(root, 'images/app/Dockerfile') },
    { to: 'package.json', copyFrom: join(root, 'package.json') },
    { to: 'package-lock.json', copyFrom: join(root, 'package-lock.json') },
    // Type declarations are for library users, not for the running app.
    { to: 'dist', copyFrom: join(root, 'dist'), filter: (path) => !/\.d\.ts(\.map)?$/.test(path) },
    { to: 'templates', copyFrom: join(root, 'templates') },
    extraCaSource(ctx.settings),
  ];
  return buildStaged(ctx, 'app', sources, onLine);
}

/** Fails before any slow step when the app image cannot be built from this package. */
export function checkAppSources(packageRoot: string): void {
  const missing = ['dist/cli.js', 'package-lock.json', 'templates'].filter(
    (path) => !existsSync(join(packageRoot, path)),
  );
  if (missing.length === 0) return;
  throw new InvalidInputError(
    `Gyre's package at ${packageRoot}`,
    missing.map((path) => ({
      input: path,
      message: 'is missing; the application image is built from it',
      hint: path.startsWith('dist') ? 'compile first: npm run build' : 'run from a complete Gyre checkout or package',
    })),
  );
}

async function buildStaged(
  ctx: StepContext,
  kind: ImageKind,
  sources: ContextSource[],
  onLine: ProgressListener,
): Promise<ImageResult> {
  const base = await requireBase(ctx, kind, onLine);
  const context = await stageContext(kind, sources);
  try {
    const inputs = computeInputsHash({
      files: await listContextFiles(context.dir),
      args: contentBuildArgs(kind, ctx.settings),
      baseImageId: base.id,
      labels: { [LABELS.version]: ctx.version },
    });
    return await buildIfChanged(ctx, kind, inputs, () => Promise.resolve(context), onLine);
  } finally {
    await context.dispose();
  }
}

async function buildIfChanged(
  ctx: StepContext,
  kind: ImageKind,
  inputs: string,
  stage: () => Promise<StagedContext>,
  onLine: ProgressListener,
): Promise<ImageResult> {
  const ref = imageRefOf(kind, ctx.settings);
  const existing = await ctx.docker.inspectImage(ref);
  const current = existing?.labels[INPUTS_LABEL];
  if (existing && !ctx.rebuild && (current === inputs || (kind === 'base-node' && current === undefined))) {
    return {
      kind,
      ref,
      id: existing.id,
      outcome: 'reused',
      reason: current === undefined ? 'already on the host (not built by Gyre)' : 'inputs unchanged',
    };
  }
  const context = await stage();
  try {
    const buildArgs = { ...contentBuildArgs(kind, ctx.settings), ...sourceBuildArgs(kind, ctx.settings, ctx.mirror) };
    const id = await ctx.docker.buildImage(
      {
        contextDir: context.dir,
        entries: context.entries,
        tag: ref,
        buildArgs,
        labels: imageLabels(ctx.version, inputs),
        noCache: ctx.rebuild,
      },
      onLine,
    );
    // Reused CI machines would otherwise keep one stale copy per source change.
    if (existing && existing.id !== id && (await ctx.docker.removeUntaggedImage(existing.id)))
      onLine(`removed the replaced image ${existing.id}`);
    return {
      kind,
      ref,
      id,
      outcome: 'built',
      reason: !existing ? 'missing' : ctx.rebuild ? '--rebuild' : 'inputs changed',
    };
  } finally {
    await context.dispose();
  }
}

/** The FROM image: present, or pulled when a registry is in reach. */
async function requireBase(ctx: StepContext, kind: ImageKind, onLine: ProgressListener): Promise<ImageDetails> {
  const ref = baseImageOf(kind, ctx.settings)!;
  const present = await ctx.docker.inspectImage(ref);
  if (present) return present;
  try {
    await ctx.docker.pullImage(ref, onLine);
  } catch (error) {
    throw new GyreError(
      `The base image ${ref} of ${imageRefOf(kind, ctx.settings)} is not on the host and could not be pulled. Build the base images without a registry: gyre images build --offline`,
      undefined,
      { cause: error },
    );
  }
  return (await ctx.docker.inspectImage(ref))!;
}

/** The extra CA bundle, or an empty file: the Dockerfiles add it only when it has content. */
function extraCaSource(settings: Settings): ContextSource {
  const file = settings.extraCaCertsFile;
  if (file === undefined) return { to: 'extra-ca/extra-ca.crt', content: '' };
  return { to: 'extra-ca/extra-ca.crt', content: readExtraCa(file) };
}
