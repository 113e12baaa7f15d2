/**
 * The plain object the services template renders: every decision about the services stack is
 * made here, in code that tests can read, and the template only lays it out.
 */
import {
  BUNDLED_DATABASE,
  formatDuration,
  formatMemorySize,
  metaOf,
  s3SettingsOf,
  s3UrlOf,
  type SettingName,
  type Settings,
} from '../config/index.js';
import {
  composeFileMaps,
  containerLogging,
  STACK_LABEL_NAMES,
  httpHealthTest,
  outboundEnvironment,
  sortKeys,
  stackSecret,
  type StackSecret,
} from './stack-files.js';

/**
 * The app process's memory settings, as the services stack runs it (`npm run bench`: job-start
 * footprint). Its live heap stays near 36 MB however many jobs ran, but under load V8 grows the
 * young generation to 64 MB and more, which stays resident: 8 MiB semi-spaces bound that, for a
 * few more minor collections.
 */
export const APP_PROCESS_ENVIRONMENT: Readonly<Record<string, string>> = {
  NODE_OPTIONS: '--max-semi-space-size=8',
};

/** Ports the app listens on inside its container; the published host ports are settings. */
export const APP_CONTAINER_PORTS = { http: 80, https: 443, admin: 8800 } as const;
const RUN_SECRETS = '/run/secrets';
const EXTRA_CA_PATH = '/etc/gyre/extra-ca.pem';
const TLS_CERT_PATH = '/etc/gyre/tls-cert.pem';

export interface ServicesModel {
  readonly model: object;
  readonly secrets: readonly StackSecret[];
}

export function buildServicesModel(
  settings: Settings,
  common: { version: string; projectName: string },
): ServicesModel {
  const bundled = settings.database.kind === 'bundled';
  const secrets = servicesSecrets(settings);
  // Host files mounted read-only into the app: config name → [host path, container path].
  const mounts: Record<string, [string, string]> = {};
  if (settings.extraCaCertsFile) mounts['gyre_extra_ca'] = [settings.extraCaCertsFile, EXTRA_CA_PATH];
  if (settings.tls) mounts['gyre_tls_cert'] = [settings.tls.certFile, TLS_CERT_PATH];
  const configs = Object.fromEntries(Object.entries(mounts).map(([name, [host]]) => [name, host]));

  const model = {
    ...common,
    stack: 'services',
    labelNames: STACK_LABEL_NAMES,
    images: settings.images,
    logging: containerLogging(settings),
    bundledDb: bundled ? BUNDLED_DATABASE : null,
    appEnvironment: sortKeys(appEnvironment(settings, secrets)),
    appSecrets: secrets.filter((s) => s.name !== 'gyre_db_password' || bundled).map((s) => s.name),
    appConfigs: Object.entries(mounts).map(([source, [, target]]) => ({ source, target })),
    ports: publishedPorts(settings),
    // The plain HTTP user port: it answers /healthz even with TLS on, when the admin console is HTTPS only.
    appHealthTest: httpHealthTest(APP_CONTAINER_PORTS.http, '/healthz'),
    ...composeFileMaps(secrets, configs),
  };
  return { model, secrets };
}

function servicesSecrets(settings: Settings): StackSecret[] {
  const s = settings.secrets;
  const list = [
    settings.database.kind === 'external'
      ? stackSecret('gyre_database_url', 'GYRE_DATABASE_URL', settings.database.url)
      : stackSecret('gyre_db_password', 'GYRE_DB_PASSWORD', settings.database.password),
    stackSecret('gyre_join_secret', 'GYRE_JOIN_SECRET', s.joinSecret),
    stackSecret('gyre_admin_password', 'GYRE_ADMIN_PASSWORD', s.adminPassword),
    stackSecret('gyre_encryption_key', 'GYRE_ENCRYPTION_KEY', s.encryptionKey),
    stackSecret('gyre_session_secret', 'GYRE_SESSION_SECRET', s.sessionSecret),
  ];
  const s3 = s3SettingsOf(settings);
  if (s3) list.push(stackSecret('gyre_s3_secret_access_key', 'GYRE_S3_SECRET_ACCESS_KEY', s3.secretAccessKey));
  if (settings.tls)
    list.push({ name: 'gyre_tls_key', file: settings.tls.keyFile, setting: 'GYRE_TLS_KEY_FILE', value: undefined });
  return list;
}

function appEnvironment(settings: Settings, secrets: readonly StackSecret[]): Record<string, string> {
  const env: Record<string, string> = {
    ...APP_PROCESS_ENVIRONMENT,
    GYRE_HOSTNAME: settings.hostname,
    GYRE_PUBLIC_URL: settings.publicUrl,
    GYRE_HTTP_PORT: String(APP_CONTAINER_PORTS.http),
    GYRE_ADMIN_PORT: String(APP_CONTAINER_PORTS.admin),
    GYRE_LOG_LEVEL: settings.logLevel,
    ...(settings.trustedProxies.length > 0 && { GYRE_TRUSTED_PROXIES: settings.trustedProxies.join(',') }),
  };
  if (settings.gitAllowedHosts.length > 0) env['GYRE_GIT_ALLOWED_HOSTS'] = settings.gitAllowedHosts.join(',');
  // The file store and the data volume are the defaults and need nothing; the secret access key
  // goes in as a secret, below.
  if (settings.blobStore.kind === 's3') env['GYRE_BLOB_STORE'] = s3UrlOf(settings.blobStore);
  const s3 = s3SettingsOf(settings);
  if (s3)
    Object.assign(env, {
      ...(s3.endpoint && { GYRE_S3_ENDPOINT: s3.endpoint }),
      GYRE_S3_REGION: s3.region,
      GYRE_S3_ACCESS_KEY_ID: s3.accessKeyId,
      GYRE_S3_FORCE_PATH_STYLE: String(s3.forcePathStyle),
    });
  Object.assign(env, backupEnvironment(settings));
  if (settings.tls)
    Object.assign(env, {
      GYRE_HTTPS_PORT: String(APP_CONTAINER_PORTS.https),
      GYRE_TLS_CERT_FILE: TLS_CERT_PATH,
      GYRE_TLS_KEY_FILE: `${RUN_SECRETS}/gyre_tls_key`,
    });
  Object.assign(env, jobDataEnvironment(settings));
  for (const secret of secrets) {
    if (secret.setting !== 'GYRE_TLS_KEY_FILE') env[`${secret.setting}_FILE`] = `${RUN_SECRETS}/${secret.name}`;
  }
  return { ...env, ...outboundEnvironment(settings, settings.extraCaCertsFile ? EXTRA_CA_PATH : undefined) };
}

function backupEnvironment(settings: Settings): Record<string, string> {
  const { schedule, keep, destination } = settings.backup;
  if (schedule === undefined) return {};
  return {
    GYRE_BACKUP_SCHEDULE: schedule,
    GYRE_BACKUP_KEEP: String(keep),
    ...(destination.kind === 's3' && { GYRE_BACKUP_DESTINATION: s3UrlOf(destination) }),
  };
}

/** The retention, upload and job log limits and SSH hold times set to something else than the defaults the app applies itself. */
function jobDataEnvironment(settings: Settings): Record<string, string> {
  const { retention, transferLimits } = settings;
  const values: Partial<Record<SettingName, string>> = {
    GYRE_CACHE_MAX_AGE_DAYS: String(retention.cacheMaxAgeDays),
    ...(retention.cacheMaxTotalBytes !== undefined && {
      GYRE_CACHE_MAX_TOTAL_SIZE: formatMemorySize(retention.cacheMaxTotalBytes),
    }),
    GYRE_ARTIFACT_MAX_AGE_DAYS: String(retention.artifactMaxAgeDays),
    GYRE_CACHE_MAX_SIZE: formatMemorySize(transferLimits.cacheBytes),
    GYRE_JOB_LOG_MAX_SIZE: formatMemorySize(settings.jobLogMaxBytes),
    GYRE_WORKSPACE_MAX_SIZE: formatMemorySize(transferLimits.workspaceLayerBytes),
    GYRE_ARTIFACT_MAX_SIZE: formatMemorySize(transferLimits.artifactBytes),
    GYRE_SSH_IDLE: formatDuration(settings.sshHold.idleMs),
    GYRE_SSH_MAX: formatDuration(settings.sshHold.maxMs),
  };
  return Object.fromEntries(
    Object.entries(values).filter(([name, value]) => value !== metaOf(name as SettingName).default),
  );
}

function publishedPorts(settings: Settings): string[] {
  const { bindAddress, httpPort, httpsPort, adminPort } = settings.listen;
  const ports = [`${bindAddress}:${httpPort}:${APP_CONTAINER_PORTS.http}`];
  if (settings.tls) ports.push(`${bindAddress}:${httpsPort}:${APP_CONTAINER_PORTS.https}`);
  ports.push(`${bindAddress}:${adminPort}:${APP_CONTAINER_PORTS.admin}`);
  return ports;
}
