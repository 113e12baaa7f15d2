/**
 * `gyre images build`: the database image and the application image (and the per-job Docker
 * engine's where builders offer Docker in builds), and with `offline` first the base images they
 * stand on, made from a Debian mirror and the npm registry.
 */
import type { Task } from '../tasks.js';
import type { Settings } from '../../config/index.js';
import type { DockerClient } from '../../docker/index.js';
import {
  checkAppSources,
  ensureAppImage,
  ensureDbImage,
  ensureDebianBase,
  ensureEngineImage,
  ensureMachineImage,
  ensureNodeBase,
  type ImageResult,
  type StepContext,
} from './image-steps.js';
import { GYRE_VERSION, packageRoot as gyrePackageRoot } from '../../shared/package-files.js';

export type { ImageResult } from './image-steps.js';

/** Options of `buildImages`. */
export interface BuildImagesOptions {
  readonly docker: DockerClient;
  /** Build the base images from a Debian mirror and npm when missing, instead of pulling them. @default false */
  readonly offline?: boolean;
  /** Debian mirror for debootstrap and apt inside builds. @default settings.debianMirror */
  readonly mirror?: string;
  /** Build every image again, ignoring fingerprints and the layer cache. @default false */
  readonly rebuild?: boolean;
  /** Where Gyre's package.json, dist/ and images/ are. @default the installed package */
  readonly packageRoot?: string;
}

/** One image's task, runnable on its own so a CLI can show each as a task. */
export type ImageBuildTask = Task<ImageResult>;

/** The steps in dependency order. Checks the package's sources before anything slow starts. */
export function planImageBuild(settings: Settings, options: BuildImagesOptions): ImageBuildTask[] {
  const packageRoot = options.packageRoot ?? gyrePackageRoot;
  checkAppSources(packageRoot);
  const ctx: StepContext = {
    settings,
    docker: options.docker,
    packageRoot,
    version: GYRE_VERSION,
    mirror: (options.mirror ?? settings.debianMirror).replace(/\/+$/, ''),
    rebuild: options.rebuild === true,
    offline: options.offline === true,
  };
  const steps: ImageBuildTask[] = [];
  if (ctx.offline) {
    steps.push({
      title: `Debian base ${settings.images.baseDebian} (debootstrap from ${ctx.mirror})`,
      run: (onLine) => ensureDebianBase(ctx, onLine),
    });
    steps.push({
      title: `Node base ${settings.images.baseNode} (Node.js from the npm registry)`,
      run: (onLine) => ensureNodeBase(ctx, onLine),
    });
  }
  steps.push({ title: `Database image ${settings.images.db}`, run: (onLine) => ensureDbImage(ctx, onLine) });
  steps.push({ title: `Application image ${settings.images.app}`, run: (onLine) => ensureAppImage(ctx, onLine) });
  // Only where builders run jobs with Docker: it adds Debian's dockerd, about 100 MB.
  if (settings.builder.dockerInBuilds !== 'off')
    steps.push({
      title: `Docker engine image ${settings.images.engine} (setup_remote_docker)`,
      run: (onLine) => ensureEngineImage(ctx, onLine),
    });
  if (settings.builder.dockerInBuilds === 'machine')
    steps.push({
      title: `Machine image ${settings.images.machine} (the machine executor)`,
      run: (onLine) => ensureMachineImage(ctx, onLine),
    });
  return steps;
}
