export * from './contract.js';
export * from './capacity.js';
export { builderNameOf } from './builder-name.js';
export type * from './job-spec.js';
