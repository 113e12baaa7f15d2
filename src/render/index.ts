export {
  renderServicesStack,
  renderBuilderStack,
  SERVICES_PROJECT_NAME,
  type StackTemplates,
  type RenderedStack,
  type RenderOptions,
} from './render-stacks.js';
export {
  builderProjectName,
  DEFAULT_BUILDER_NAME,
  BUILDER_CONFIG_VARIABLES,
  MAX_CONFIG_VARIABLE_BYTES,
  localServicesAccess,
  type JoinSecretSource,
  type LocalServicesAccess,
} from './builder-model.js';
export { APP_CONTAINER_PORTS } from './services-model.js';
export { httpProbeArgv, SECRETS_DIR, type StackSecret } from './stack-files.js';
