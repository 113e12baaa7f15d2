/**
 * The plain object the builder template renders, for one builder on one Docker host.
 */
import {
  formatDuration,
  formatEgressList,
  formatMemorySize,
  httpsListenerUrl,
  servicesCaOf,
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
import { AGENT_API_PORT, AGENT_PROCESS_ENVIRONMENT } from '../protocol/index.js';

const EXTRA_CA_PATH = '/etc/gyre/extra-ca.pem';
const SERVICES_CA_PATH = '/etc/gyre/services-ca.pem';

/**
 * For a stack brought up on a remote Docker host, the variable of the `docker compose` process
 * that holds a config's content: Compose mounts a config's `file` from the Docker host's own
 * disk, where a file of this machine is not (see {@link JoinSecretSource}). Only the services CA:
 * one variable may hold at most 128 KiB (Linux's MAX_ARG_STRLEN), which a whole extra CA bundle
 * (a host's ca-certificates.crt, about 200 KiB) exceeds, so that one stays a file.
 */
export const BUILDER_CONFIG_VARIABLES = { gyre_services_ca: 'GYRE_SERVICES_CA_PEM' } as const;

/** The largest services CA bundle that fits one variable, with room for the rest of the environment. */
export const MAX_CONFIG_VARIABLE_BYTES = 100 * 1024;

/** Name of the builder when the settings name none: the single-machine evaluation builder. */
export const DEFAULT_BUILDER_NAME = 'local';

export interface BuilderModel {
  readonly model: object;
  readonly secrets: readonly StackSecret[];
}

/**
 * Where the builder stack reads the join secret from. `file`: a file beside the Compose file, for
 * a stack brought up on the machine it was rendered on. `environment`: the GYRE_JOIN_SECRET
 * variable of the `docker compose` process, which Compose copies into the container, for a stack
 * brought up on a remote Docker host, where a file would have to exist on that host.
 */
export type JoinSecretSource = 'file' | 'environment';

export interface BuilderRenderOptions {
  readonly version: string;
  /** @default 'file' */
  readonly joinSecretSource?: JoinSecretSource;
  /** Port of the agent's local API; two builders on one host (during a roll) need two. @default AGENT_API_PORT */
  readonly agentApiPort?: number;
  /**
   * `name:address` entries for the agent's hosts file. @default those of {@link localServicesAccess}
   * for a builder without GYRE_SERVICES_URL, else none
   */
  readonly extraHosts?: readonly string[];
}

export function buildBuilderModel(settings: Settings, common: BuilderRenderOptions): BuilderModel {
  const builder = settings.builder;
  const name = builder.name ?? DEFAULT_BUILDER_NAME;
  const local = localServicesAccess(settings);
  const servicesCaFile = builder.servicesCaFile ?? (builder.servicesUrl === undefined ? local.caFile : undefined);
  const secrets = [stackSecret('gyre_join_secret', 'GYRE_JOIN_SECRET', settings.secrets.joinSecret)];
  // Each config: its file on this machine, and where the agent reads it.
  const mounts: Partial<Record<'gyre_extra_ca' | 'gyre_services_ca', [string, string]>> = {
    ...(settings.extraCaCertsFile && { gyre_extra_ca: [settings.extraCaCertsFile, EXTRA_CA_PATH] }),
    ...(servicesCaFile && { gyre_services_ca: [servicesCaFile, SERVICES_CA_PATH] }),
  };
  const sources = Object.keys(mounts) as (keyof typeof mounts)[];
  const fromEnvironment = common.joinSecretSource === 'environment';
  const byVariable = (source: keyof typeof mounts) => fromEnvironment && source in BUILDER_CONFIG_VARIABLES;
  const configs = Object.fromEntries(
    sources.filter((source) => !byVariable(source)).map((source) => [source, mounts[source]![0]]),
  );
  const configEnvironment = Object.fromEntries(
    sources
      .filter(byVariable)
      .map((source) => [source, BUILDER_CONFIG_VARIABLES[source as keyof typeof BUILDER_CONFIG_VARIABLES]]),
  );

  const environment: Record<string, string> = {
    GYRE_SERVICES_URL: builder.servicesUrl ?? local.url,
    ...(builder.movedFrom !== undefined && { GYRE_BUILDER_MOVED_FROM: builder.movedFrom }),
    GYRE_BUILDER_NAME: name,
    GYRE_SLOT_CPUS: String(builder.slotCpus),
    GYRE_SLOT_MEMORY: formatMemorySize(builder.slotMemoryBytes),
    GYRE_DRAIN_TIMEOUT: formatDuration(builder.drainTimeoutMs),
    GYRE_APP_IMAGE: settings.images.app,
    GYRE_LOG_LEVEL: settings.logLevel,
    ...AGENT_PROCESS_ENVIRONMENT,
    GYRE_JOIN_SECRET_FILE: '/run/secrets/gyre_join_secret',
    ...(servicesCaFile && { GYRE_SERVICES_CA_FILE: SERVICES_CA_PATH }),
    ...(builder.slots !== undefined && { GYRE_BUILDER_SLOTS: String(builder.slots) }),
    GYRE_JOB_MAX_SERVICES: String(builder.maxServicesPerJob),
    ...(builder.jobDiskBytes !== undefined && { GYRE_JOB_DISK: formatMemorySize(builder.jobDiskBytes) }),
    GYRE_DOCKER_IN_BUILDS: builder.dockerInBuilds,
    ...(builder.dockerInBuilds !== 'off' && { GYRE_ENGINE_IMAGE: settings.images.engine }),
    ...(builder.dockerInBuilds === 'machine' && { GYRE_MACHINE_IMAGE: settings.images.machine }),
    ...(builder.dockerInBuilds !== 'off' && {
      GYRE_LAYER_CACHE_SIZE: builder.layerCacheBytes === 0 ? 'off' : formatMemorySize(builder.layerCacheBytes),
    }),
    GYRE_SSH_PORTS: builder.ssh ? `${builder.ssh.first}-${builder.ssh.last}` : 'off',
    ...(builder.ssh?.host !== undefined && { GYRE_SSH_HOST: builder.ssh.host }),
    GYRE_EGRESS_POLICY: builder.egress.enforce ? 'enforce' : 'off',
    ...(builder.egress.allow.length > 0 && { GYRE_EGRESS_ALLOW: formatEgressList(builder.egress.allow) }),
    ...(builder.egress.deny?.length && { GYRE_EGRESS_DENY: formatEgressList(builder.egress.deny) }),
    ...outboundEnvironment(settings, settings.extraCaCertsFile ? EXTRA_CA_PATH : undefined),
  };

  const model = {
    version: common.version,
    stack: 'builder',
    labelNames: STACK_LABEL_NAMES,
    projectName: builderProjectName(name),
    builderName: name,
    images: settings.images,
    logging: containerLogging(settings),
    agentEnvironment: sortKeys(environment),
    agentSecrets: secrets.map((s) => s.name),
    agentConfigs: sources.map((source) => ({ source, target: mounts[source]![1] })),
    extraHosts: common.extraHosts ?? (builder.servicesUrl === undefined ? local.extraHosts : []),
    stopGracePeriod: formatDuration(builder.drainTimeoutMs),
    agentApiPort: String(common.agentApiPort ?? AGENT_API_PORT),
    agentHealthTest: httpHealthTest(common.agentApiPort ?? AGENT_API_PORT, '/healthz'),
    ...composeFileMaps(fromEnvironment ? [] : secrets, configs),
    secretEnvironment: fromEnvironment ? Object.fromEntries(secrets.map((s) => [s.name, s.setting])) : {},
    configEnvironment: Object.keys(configEnvironment).length > 0 ? configEnvironment : null,
    hasConfigs: sources.length > 0,
  };
  return { model, secrets: fromEnvironment ? [] : secrets };
}

/** How a builder on the services host reaches it, with host networking. */
export interface LocalServicesAccess {
  readonly url: string;
  /** The plain loopback address, its URL with TLS off: what a builder joined before TLS was on saved. */
  readonly loopbackHttpUrl: string;
  /** The bundle it trusts the services certificate with, when TLS is on. */
  readonly caFile?: string;
  /** Its hosts file's entries (`name:address`). */
  readonly extraHosts: readonly string[];
}

/**
 * How a builder on the services host (no GYRE_SERVICES_URL) reaches it: on loopback over plain
 * HTTP with TLS off. With TLS on, over HTTPS under the host name the certificate names, which the
 * agent's hosts file points at loopback, trusting what `gyre` trusts (see servicesCaOf).
 */
export function localServicesAccess(settings: Settings): LocalServicesAccess {
  const loopbackHttpUrl = `http://127.0.0.1:${settings.listen.httpPort}`;
  const url = httpsListenerUrl(settings);
  if (url === undefined) return { url: loopbackHttpUrl, loopbackHttpUrl, extraHosts: [] };
  const hostname = settings.hostname;
  const caFile = servicesCaOf(settings);
  return {
    url,
    loopbackHttpUrl,
    ...(caFile !== undefined && { caFile }),
    // An address needs no name (an IPv4 one, or IPv6 with its colons), nor does localhost.
    extraHosts: /^[\d.]+$|:/.test(hostname) || hostname === 'localhost' ? [] : [`${hostname}:127.0.0.1`],
  };
}

/** Compose project name of a builder's stack on its host. */
export function builderProjectName(builderName: string): string {
  return `gyre-builder-${builderName}`;
}
