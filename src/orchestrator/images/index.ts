/**
 * Gyre's images: building them (optionally without any registry) and moving them between hosts.
 */
export { planImageBuild, type BuildImagesOptions, type ImageBuildTask, type ImageResult } from './build-images.js';
export { saveImages, loadImages, runtimeImageRefs, builderImageRefs } from './bundle.js';
export { shipImages, type ShipResult } from './ship-images.js';
export { OFFLINE_BASE_LABEL } from './debian-base.js';
export { INPUTS_LABEL } from './inputs-hash.js';
export type { ImageKind } from './build-args.js';
