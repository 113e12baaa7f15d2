export { loadSettings, checkSettings, type SettingsSource, type SettingsCheck } from './load-settings.js';
export type { SettingsPurpose } from './rules.js';
export {
  BUNDLED_DATABASE,
  databaseUrlOf,
  httpsListenerUrl,
  servicesCaOf,
  s3SettingsOf,
  s3UrlOf,
  type BlobStoreSettings,
  type S3BlobStoreSettings,
  type Settings,
  type BuilderSettings,
  type EgressSettings,
  type ListenSettings,
  type RetentionSettings,
  type TransferLimitSettings,
} from './settings.js';
export { settingNames, secretSettingNames, metaOf, type SettingName, type SettingMeta } from './schema.js';
export { settingAliases } from './aliases.js';
export {
  parseEnvFile,
  renderEnvFile,
  renderEnvFileWithoutSecrets,
  generateSecrets,
  type RandomBytes,
} from './env-file.js';
export { renderSettingsTable, replaceSettingsTable } from './settings-table.js';
export {
  parseMemorySize,
  formatMemorySize,
  parseDuration,
  formatDuration,
  formatEgressList,
  type EgressEntry,
} from './values.js';
