/**
 * The Compose files of one test environment: the services stack and N builder stacks, rendered
 * from Settings made of generated secrets and free ports, and written with their secret files
 * into a folder of their own. Rendering goes through the same code as `gyre render`.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  formatEgressList,
  generateSecrets,
  loadSettings,
  type EgressEntry,
  type Settings,
  type SettingsPurpose,
} from '../config/index.js';
import { readStackTemplates } from '../orchestrator/stack/stack-templates.js';
import { writeStacks } from '../orchestrator/stack/write-stacks.js';
import { renderBuilderStack, renderServicesStack } from '../render/index.js';
import { GYRE_VERSION } from '../shared/package-files.js';
import { GyreEnvironmentError, messageOf } from './errors.js';

/** What one builder stack is sized to. */
export interface BuilderSize {
  /** Slots, which size the builder's room for jobs (jobs are packed into it by resource class). @default 1 */
  readonly slots?: number;
  /** CPUs per slot; 0: jobs are not placed by CPU (each is still held to its class's). @default 0 */
  readonly slotCpus?: number;
  /** Memory per slot, e.g. `2G`. @default '4G' */
  readonly slotMemory?: string;
}

export interface StacksRequest {
  /** Short random id of the environment, in every project and builder name. */
  readonly id: string;
  readonly dir: string;
  readonly httpPort: number;
  readonly adminPort: number;
  readonly builders: readonly (BuilderSize & { readonly agentApiPort: number })[];
  /** Extra settings, as in `.env`; they win over the generated ones except the ports and bind address. */
  readonly settings: Readonly<Record<string, string>>;
}

/** A rendered stack on disk. */
export interface StackOnDisk {
  readonly dir: string;
  readonly file: string;
  readonly projectName: string;
}

/** A rendered builder stack on disk. */
export type BuilderStackOnDisk = StackOnDisk & { readonly builderName: string };

export interface EnvironmentStacks {
  readonly settings: Settings;
  readonly services: StackOnDisk;
  /**
   * Renders and writes the builder stacks, whose jobs may also reach `reachable` (the
   * environment's git server, on this host, which the egress policy refuses otherwise).
   */
  writeBuilders(reachable: readonly EgressEntry[]): readonly BuilderStackOnDisk[];
}

/** Renders and writes the services stack, and gives the builder stacks' writer. */
export function writeEnvironmentStacks(request: StacksRequest): EnvironmentStacks {
  const templates = readStackTemplates();
  const options = { version: GYRE_VERSION };
  const base: Record<string, string> = {
    ...(generateSecrets(randomBytes) as Record<string, string>),
    ...request.settings,
    GYRE_HOSTNAME: '127.0.0.1',
    GYRE_BIND_ADDRESS: '127.0.0.1',
    GYRE_HTTP_PORT: String(request.httpPort),
    GYRE_ADMIN_PORT: String(request.adminPort),
  };
  const settings = settingsOf(base, 'serve');
  const servicesDir = join(request.dir, 'services');
  const services = renderServicesStack(settings, templates, options);
  writeStacks(servicesDir, [services], { warn: () => undefined }, false);

  const writeBuilders = (reachable: readonly EgressEntry[]) =>
    request.builders.map((size, index) => {
      const builderName = `env-${request.id}-${index + 1}`;
      const allow = [base['GYRE_EGRESS_ALLOW'], formatEgressList(reachable)].filter((list) => list).join(',');
      const builderSettings = settingsOf(
        {
          ...base,
          ...(allow && { GYRE_EGRESS_ALLOW: allow }),
          // Builder stacks use host networking: the services box is on loopback.
          GYRE_SERVICES_URL: `http://127.0.0.1:${request.httpPort}`,
          GYRE_BUILDER_NAME: builderName,
          GYRE_BUILDER_SLOTS: String(size.slots ?? 1),
          GYRE_SLOT_CPUS: String(size.slotCpus ?? 0),
          GYRE_SLOT_MEMORY: size.slotMemory ?? '4G',
        },
        'agent',
      );
      const dir = join(request.dir, `builder-${index + 1}`);
      const stack = renderBuilderStack(builderSettings, templates, { ...options, agentApiPort: size.agentApiPort });
      writeStacks(dir, [stack], { warn: () => undefined }, false);
      return { dir, file: stack.fileName, projectName: `gyre-env-${request.id}-builder-${index + 1}`, builderName };
    });

  return {
    settings,
    services: { dir: servicesDir, file: services.fileName, projectName: `gyre-env-${request.id}` },
    writeBuilders,
  };
}

function settingsOf(values: Record<string, string>, purpose: SettingsPurpose): Settings {
  try {
    return loadSettings(
      { name: 'the GyreEnvironment settings', values, readFile: (path) => readFileSync(path, 'utf8') },
      purpose,
    );
  } catch (error) {
    throw new GyreEnvironmentError(
      'reading the settings',
      messageOf(error),
      'correct the values given to withSettings()',
      { cause: error },
    );
  }
}
