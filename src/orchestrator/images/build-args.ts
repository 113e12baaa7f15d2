/**
 * Build arguments and labels of Gyre's images, as pure functions of the settings. Arguments
 * that decide content are fingerprinted; proxies and the mirror only decide where packages
 * come from, so they are passed to the build but left out of the fingerprint.
 */
import { LABELS } from '../../shared/labels.js';
import type { Settings } from '../../config/index.js';
import { GyreError } from '../../shared/errors.js';
import { INPUTS_LABEL } from './inputs-hash.js';

/** The images `gyre images build` produces. */
export type ImageKind = 'base-debian' | 'base-node' | 'db' | 'app' | 'engine' | 'machine';

/** The Debian release every image is built on. */
export const DEBIAN_SUITE = 'bookworm';

/** npm packages that provide Node.js and npm for the offline node base. */
export const NODE_MAJOR = 24;
export const NPM_SPEC = 'npm@11';

/** Which `node-linux-*` package holds the binary for an engine's architecture. */
export function nodePackageSpec(engineArch: string): string {
  const arch = { amd64: 'x64', x86_64: 'x64', arm64: 'arm64', aarch64: 'arm64' }[engineArch];
  if (arch === undefined)
    throw new GyreError(
      `no official Node.js ${NODE_MAJOR} binary package for the engine's architecture ${engineArch}; supported: amd64, arm64`,
    );
  return `node-linux-${arch}@${NODE_MAJOR}`;
}

/** The image a kind is built FROM, or undefined for the Debian base (made by debootstrap). */
export function baseImageOf(kind: ImageKind, settings: Settings): string | undefined {
  switch (kind) {
    case 'base-debian':
      return undefined;
    case 'base-node':
    case 'db':
    case 'engine':
    case 'machine':
      return settings.images.baseDebian;
    case 'app':
      return settings.images.baseNode;
  }
}

/** The tag a kind is built as. */
export function imageRefOf(kind: ImageKind, settings: Settings): string {
  return {
    'base-debian': settings.images.baseDebian,
    'base-node': settings.images.baseNode,
    db: settings.images.db,
    app: settings.images.app,
    engine: settings.images.engine,
    machine: settings.images.machine,
  }[kind];
}

/** Arguments that change what an image contains; they are part of its fingerprint. */
export function contentBuildArgs(kind: ImageKind, settings: Settings): Record<string, string> {
  const args: Record<string, string> = { BASE_IMAGE: baseImageOf(kind, settings) ?? '' };
  if (kind !== 'base-debian' && kind !== 'base-node') args['DEBIAN_SUITE'] = DEBIAN_SUITE;
  return args;
}

/**
 * Arguments that only say where to fetch from. HTTP_PROXY and friends are predefined by the
 * engine's builder, so Dockerfiles need no ARG for them and they stay out of image history.
 */
export function sourceBuildArgs(kind: ImageKind, settings: Settings, mirror: string): Record<string, string> {
  const args: Record<string, string> = {};
  if (kind !== 'base-debian' && kind !== 'base-node') args['DEBIAN_MIRROR'] = mirror;
  const { http, https, noProxy } = settings.proxy;
  if (http !== undefined) Object.assign(args, { HTTP_PROXY: http, http_proxy: http });
  if (https !== undefined) Object.assign(args, { HTTPS_PROXY: https, https_proxy: https });
  if (noProxy !== undefined) Object.assign(args, { NO_PROXY: noProxy, no_proxy: noProxy });
  return args;
}

/**
 * Labels added at build time; `inputs` is the fingerprint of the image's inputs. Each
 * Dockerfile sets its own `io.gyre.image` (app, postgres, base-node, engine, machine).
 */
export function imageLabels(version: string, inputs: string): Record<string, string> {
  return { [LABELS.version]: version, [INPUTS_LABEL]: inputs };
}
