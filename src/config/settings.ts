/**
 * The typed `Settings` object every part of Gyre receives, built from validated raw settings.
 */
import type { RawSettings } from './schema.js';
import type { EgressEntry } from './values.js';

/** Published ports and the address they are published on. */
export interface ListenSettings {
  readonly bindAddress: string;
  readonly httpPort: number;
  readonly httpsPort: number;
  readonly adminPort: number;
}

/** Settings shared by the generator, the services box and builders. */
export interface Settings {
  readonly hostname: string;
  /** Base URL of the UI and webhooks, without a trailing slash. */
  readonly publicUrl: string;
  readonly listen: ListenSettings;
  /** Present when HTTPS is on. Paths are on the services host. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  readonly extraCaCertsFile?: string;
  readonly proxy: { readonly http?: string; readonly https?: string; readonly noProxy?: string };
  /** Reverse proxies whose X-Forwarded-For is believed; empty: none. */
  readonly trustedProxies: readonly string[];
  /** An external database URL, or the bundled database. */
  readonly database:
    { readonly kind: 'external'; readonly url: string } | { readonly kind: 'bundled'; readonly password?: string };
  readonly secrets: {
    readonly joinSecret?: string;
    readonly adminPassword?: string;
    readonly encryptionKey?: string;
    readonly sessionSecret?: string;
  };
  readonly images: {
    readonly app: string;
    readonly db: string;
    readonly baseDebian: string;
    readonly baseNode: string;
    /** The per-job Docker engine of `setup_remote_docker` (GYRE_ENGINE_IMAGE). */
    readonly engine: string;
    /** What `machine` jobs run in (GYRE_MACHINE_IMAGE). */
    readonly machine: string;
  };
  readonly debianMirror: string;
  readonly builder: BuilderSettings;
  /** Folder for git mirrors, artifacts and caches. */
  readonly dataDir: string;
  /** Where caches, workspaces and artifacts keep their bytes (GYRE_BLOB_STORE and GYRE_S3_*). */
  readonly blobStore: BlobStoreSettings;
  /** Hosts, addresses and CIDR ranges repository URLs may name although they are internal (GYRE_GIT_ALLOWED_HOSTS). */
  readonly gitAllowedHosts: readonly string[];
  /** How long caches, workspace layers and artifacts are kept. */
  readonly retention: RetentionSettings;
  /** How long a job rerun with SSH stays up after its steps (GYRE_SSH_IDLE, GYRE_SSH_MAX). */
  readonly sshHold: { readonly idleMs: number; readonly maxMs: number };
  /** Scheduled backups of the services box (GYRE_BACKUP_*). */
  readonly backup: BackupSettings;
  /** The largest upload of each kind a job may make. */
  readonly transferLimits: TransferLimitSettings;
  /** The most log bytes one job attempt keeps (GYRE_JOB_LOG_MAX_SIZE). */
  readonly jobLogMaxBytes: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  /** Docker's log rotation for every container of the stacks. */
  readonly containerLogs: { readonly maxSizeBytes: number; readonly maxFiles: number };
}

export interface BuilderSettings {
  readonly servicesUrl?: string;
  /** The services URL the builder's identity was saved for, before the install moved. */
  readonly movedFrom?: string;
  /** The CA bundle that vouches for the services box's certificate (GYRE_SERVICES_CA_FILE). */
  readonly servicesCaFile?: string;
  readonly name?: string;
  /** Explicit slot count; computed from the host's capacity when undefined. */
  readonly slots?: number;
  /** CPUs per slot; 0 means no CPU limit. */
  readonly slotCpus: number;
  readonly slotMemoryBytes: number;
  readonly drainTimeoutMs: number;
  /** The most service containers a job may have besides its primary. */
  readonly maxServicesPerJob: number;
  /** The most bytes each job container may write into its own file system; unlimited when undefined. */
  readonly jobDiskBytes?: number;
  /** The jobs' egress policy (GYRE_EGRESS_POLICY, GYRE_EGRESS_ALLOW, GYRE_EGRESS_DENY). */
  readonly egress: EgressSettings;
  /** Whether jobs may start a Docker engine of their own, and run as `machine` jobs (GYRE_DOCKER_IN_BUILDS). */
  readonly dockerInBuilds: 'off' | 'remote' | 'machine';
  /** The most a project's layer cache may hold when a job takes it; 0: none kept (GYRE_LAYER_CACHE_SIZE). */
  readonly layerCacheBytes: number;
  /**
   * SSH into builds (GYRE_SSH_PORTS, GYRE_SSH_HOST): the range whose first free port the agent
   * listens on, and the address job pages show; off when undefined.
   */
  readonly ssh?: { readonly first: number; readonly last: number; readonly host?: string };
}

export interface EgressSettings {
  readonly enforce: boolean;
  readonly allow: readonly EgressEntry[];
  /** Refused beside what the policy refuses anyway (GYRE_EGRESS_DENY); the allow-list wins. @default none */
  readonly deny?: readonly EgressEntry[];
}

/** The filesystem under the data folder, or an S3 bucket with everything needed to reach it. */
export type BlobStoreSettings = { readonly kind: 'file' } | S3BlobStoreSettings;

export interface S3BlobStoreSettings {
  readonly kind: 's3';
  readonly bucket: string;
  /** Key prefix without slashes at either end; '' for the bucket's top level. */
  readonly prefix: string;
  /** An S3-compatible server's URL; undefined for AWS. */
  readonly endpoint?: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly forcePathStyle: boolean;
}

export interface BackupSettings {
  /** A crontab line in UTC; undefined: no scheduled backups. */
  readonly schedule?: string;
  /** How many scheduled backups are kept. */
  readonly keep: number;
  /** GYRE_DATA_DIR/backups, or an S3 prefix reached with the GYRE_S3_* settings. */
  readonly destination: { readonly kind: 'data' } | S3BlobStoreSettings;
}

export interface RetentionSettings {
  /** Caches older than this are removed (GYRE_CACHE_MAX_AGE_DAYS). */
  readonly cacheMaxAgeDays: number;
  /** Above this total, the least recently used caches are removed; undefined: no limit. */
  readonly cacheMaxTotalBytes?: number;
  /** Artifacts older than this are removed, and workspace layers of pipelines older than this. */
  readonly artifactMaxAgeDays: number;
}

export interface TransferLimitSettings {
  /** One cache. */
  readonly cacheBytes: number;
  /** One job attempt's workspace layer. */
  readonly workspaceLayerBytes: number;
  /** All the artifacts of one `store_artifacts` step together. */
  readonly artifactBytes: number;
}

/** Builds the typed Settings from raw settings that have passed every rule. */
export function toSettings(raw: RawSettings): Settings {
  const listen = {
    bindAddress: raw.GYRE_BIND_ADDRESS!,
    httpPort: raw.GYRE_HTTP_PORT!,
    httpsPort: raw.GYRE_HTTPS_PORT!,
    adminPort: raw.GYRE_ADMIN_PORT!,
  };
  const tls =
    raw.GYRE_TLS_CERT_FILE && raw.GYRE_TLS_KEY_FILE
      ? { certFile: raw.GYRE_TLS_CERT_FILE, keyFile: raw.GYRE_TLS_KEY_FILE }
      : undefined;
  return {
    hostname: raw.GYRE_HOSTNAME!,
    publicUrl: (raw.GYRE_PUBLIC_URL ?? derivePublicUrl(raw.GYRE_HOSTNAME!, listen, tls !== undefined)).replace(
      /\/+$/,
      '',
    ),
    listen,
    ...(tls && { tls }),
    ...(raw.GYRE_EXTRA_CA_CERTS_FILE && { extraCaCertsFile: raw.GYRE_EXTRA_CA_CERTS_FILE }),
    proxy: { http: raw.GYRE_HTTP_PROXY, https: raw.GYRE_HTTPS_PROXY, noProxy: raw.GYRE_NO_PROXY },
    trustedProxies: raw.GYRE_TRUSTED_PROXIES ?? [],
    database: raw.GYRE_DATABASE_URL
      ? { kind: 'external', url: raw.GYRE_DATABASE_URL }
      : { kind: 'bundled', password: raw.GYRE_DB_PASSWORD },
    secrets: {
      joinSecret: raw.GYRE_JOIN_SECRET,
      adminPassword: raw.GYRE_ADMIN_PASSWORD,
      encryptionKey: raw.GYRE_ENCRYPTION_KEY,
      sessionSecret: raw.GYRE_SESSION_SECRET,
    },
    images: {
      app: raw.GYRE_APP_IMAGE!,
      db: raw.GYRE_DB_IMAGE!,
      baseDebian: raw.GYRE_BASE_DEBIAN_IMAGE!,
      baseNode: raw.GYRE_BASE_NODE_IMAGE!,
      engine: raw.GYRE_ENGINE_IMAGE!,
      machine: raw.GYRE_MACHINE_IMAGE!,
    },
    debianMirror: raw.GYRE_DEBIAN_MIRROR!,
    builder: {
      servicesUrl: raw.GYRE_SERVICES_URL?.replace(/\/+$/, ''),
      movedFrom: raw.GYRE_BUILDER_MOVED_FROM?.replace(/\/+$/, ''),
      ...(raw.GYRE_SERVICES_CA_FILE !== undefined && { servicesCaFile: raw.GYRE_SERVICES_CA_FILE }),
      name: raw.GYRE_BUILDER_NAME,
      slots: raw.GYRE_BUILDER_SLOTS,
      slotCpus: raw.GYRE_SLOT_CPUS!,
      slotMemoryBytes: raw.GYRE_SLOT_MEMORY!,
      drainTimeoutMs: raw.GYRE_DRAIN_TIMEOUT!,
      maxServicesPerJob: raw.GYRE_JOB_MAX_SERVICES!,
      ...(raw.GYRE_JOB_DISK !== undefined && { jobDiskBytes: raw.GYRE_JOB_DISK }),
      egress: {
        enforce: raw.GYRE_EGRESS_POLICY === 'enforce',
        allow: raw.GYRE_EGRESS_ALLOW ?? [],
        deny: raw.GYRE_EGRESS_DENY ?? [],
      },
      dockerInBuilds: raw.GYRE_DOCKER_IN_BUILDS!,
      layerCacheBytes: raw.GYRE_LAYER_CACHE_SIZE!,
      ...sshOf(raw),
    },
    dataDir: raw.GYRE_DATA_DIR!,
    blobStore: blobStoreOf(raw),
    gitAllowedHosts: raw.GYRE_GIT_ALLOWED_HOSTS ?? [],
    retention: {
      cacheMaxAgeDays: raw.GYRE_CACHE_MAX_AGE_DAYS!,
      ...(raw.GYRE_CACHE_MAX_TOTAL_SIZE !== undefined && { cacheMaxTotalBytes: raw.GYRE_CACHE_MAX_TOTAL_SIZE }),
      artifactMaxAgeDays: raw.GYRE_ARTIFACT_MAX_AGE_DAYS!,
    },
    sshHold: { idleMs: raw.GYRE_SSH_IDLE!, maxMs: raw.GYRE_SSH_MAX! },
    backup: {
      ...(raw.GYRE_BACKUP_SCHEDULE !== undefined && { schedule: raw.GYRE_BACKUP_SCHEDULE }),
      keep: raw.GYRE_BACKUP_KEEP!,
      destination:
        raw.GYRE_BACKUP_DESTINATION!.kind === 'data' ? { kind: 'data' } : s3Of(raw, raw.GYRE_BACKUP_DESTINATION!),
    },
    transferLimits: {
      cacheBytes: raw.GYRE_CACHE_MAX_SIZE!,
      workspaceLayerBytes: raw.GYRE_WORKSPACE_MAX_SIZE!,
      artifactBytes: raw.GYRE_ARTIFACT_MAX_SIZE!,
    },
    jobLogMaxBytes: raw.GYRE_JOB_LOG_MAX_SIZE!,
    logLevel: raw.GYRE_LOG_LEVEL!,
    containerLogs: { maxSizeBytes: raw.GYRE_LOG_MAX_SIZE!, maxFiles: raw.GYRE_LOG_MAX_FILES! },
  };
}

/** The builder's SSH port and address, unless GYRE_SSH_PORTS is off. */
function sshOf(raw: RawSettings): Pick<BuilderSettings, 'ssh'> {
  const ports = raw.GYRE_SSH_PORTS!;
  if (ports === 'off') return {};
  return { ssh: { ...ports, ...(raw.GYRE_SSH_HOST !== undefined && { host: raw.GYRE_SSH_HOST }) } };
}

function blobStoreOf(raw: RawSettings): BlobStoreSettings {
  const location = raw.GYRE_BLOB_STORE!;
  return location.kind === 'file' ? location : s3Of(raw, location);
}

/** A bucket and prefix with the GYRE_S3_* settings that reach it. */
function s3Of(raw: RawSettings, location: { bucket: string; prefix: string }): S3BlobStoreSettings {
  // The rules have checked that an s3:// location comes with its credentials.
  return {
    kind: 's3',
    bucket: location.bucket,
    prefix: location.prefix,
    ...(raw.GYRE_S3_ENDPOINT && { endpoint: raw.GYRE_S3_ENDPOINT }),
    region: raw.GYRE_S3_REGION!,
    accessKeyId: raw.GYRE_S3_ACCESS_KEY_ID!,
    secretAccessKey: raw.GYRE_S3_SECRET_ACCESS_KEY!,
    forcePathStyle: raw.GYRE_S3_FORCE_PATH_STYLE!,
  };
}

/** The GYRE_S3_* settings, when the blob store or the backups use S3 (both read the same ones). */
export function s3SettingsOf(settings: Settings): S3BlobStoreSettings | undefined {
  if (settings.blobStore.kind === 's3') return settings.blobStore;
  return settings.backup.destination.kind === 's3' ? settings.backup.destination : undefined;
}

/** An S3 location as GYRE_BLOB_STORE and GYRE_BACKUP_DESTINATION write it: `s3://bucket` or `s3://bucket/prefix`. */
export function s3UrlOf(store: { readonly bucket: string; readonly prefix: string }): string {
  return `s3://${store.bucket}${store.prefix ? `/${store.prefix}` : ''}`;
}

/**
 * Where `gyre` and the services host's own builder reach the API and the builder protocol with
 * TLS on: the HTTPS listener under the host name its certificate names (the plain port only
 * redirects there). Undefined with TLS off.
 */
export function httpsListenerUrl(settings: Settings): string | undefined {
  return settings.tls && derivePublicUrl(settings.hostname, settings.listen, true);
}

/**
 * The bundle that vouches for the services box's certificate, for `gyre` and the services host's
 * own builder: GYRE_SERVICES_CA_FILE, else the certificate itself (what a self-signed one needs;
 * one signed by a public CA is trusted already). Undefined with TLS off.
 */
export function servicesCaOf(settings: Settings): string | undefined {
  return settings.tls && (settings.builder.servicesCaFile ?? settings.tls.certFile);
}

function derivePublicUrl(hostname: string, listen: ListenSettings, tlsOn: boolean): string {
  const [scheme, port, standard] = tlsOn ? ['https', listen.httpsPort, 443] : ['http', listen.httpPort, 80];
  return port === standard ? `${scheme}://${hostname}` : `${scheme}://${hostname}:${port}`;
}

/** Where the bundled database of the services stack listens, and whom it serves. */
export const BUNDLED_DATABASE = { host: 'db', port: 5432, user: 'gyre', database: 'gyre' } as const;

/** The connection URL of the database the services box uses. */
export function databaseUrlOf(settings: Settings): string | undefined {
  const db = settings.database;
  if (db.kind === 'external') return db.url;
  if (db.password === undefined) return undefined;
  const { host, port, user, database } = BUNDLED_DATABASE;
  return `postgres://${user}:${encodeURIComponent(db.password)}@${host}:${port}/${database}`;
}
