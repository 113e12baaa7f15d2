export * from './contract.js';
export * from './capacity.js';
export * from './job-room.js';
export * from './job-states.js';
export { builderNameOf, BUILDER_NAME_PATTERN, BUILDER_NAME_RULE } from './builder-name.js';
export * from './job-spec.js';
export * from './messages.js';
export * from './errors.js';
export * from './transfer-messages.js';
