/**
 * `gyre builder join`: a builder stack on a Docker host. Nothing changes on the host until the
 * preflight, the capacity and the name have passed; then the Gyre image is shipped when the host
 * lacks it, the stack is rendered (the join secret travels in Compose's environment, never in a
 * file on the host) and brought up, and the registration is awaited. Joining the same name on the
 * same host again is a no-op that shows the builder.
 */
import type { Settings } from '../../config/index.js';
import { createDockerClient, resolveDockerHost, type DockerHostOptions } from '../../docker/index.js';
import { AGENT_API_PORT, builderNameOf, computeCapacity, type Capacity } from '../../protocol/index.js';
import {
  BUILDER_CONFIG_VARIABLES,
  MAX_CONFIG_VARIABLE_BYTES,
  builderProjectName,
  localServicesAccess,
  renderBuilderStack,
  type LocalServicesAccess,
} from '../../render/index.js';
import { readExtraCa } from '../../shared/extra-ca.js';
import { ConflictError, InvalidInputError, TimeoutError } from '../../shared/errors.js';
import { GYRE_VERSION } from '../../shared/package-files.js';
import type { BuilderResponse as FleetBuilder } from '../../api/responses.js';
import type { GyreClient } from '../../client/gyre-client.js';
import { ComposeProject } from '../compose/compose-project.js';
import { connectHost, isLocalHost, type ConnectedHost } from '../hosts.js';
import { builderImageRefs, shipImages } from '../images/index.js';
import { readStackTemplates } from '../stack/stack-templates.js';
import { writeStacks } from '../stack/write-stacks.js';
import type { Task } from '../tasks.js';
import type { StateFolder } from '../state-folder.js';

export interface JoinOptions {
  readonly settings: Settings;
  readonly stateFolder: StateFolder;
  readonly api: () => GyreClient;
  readonly hostText?: string;
  readonly tls?: DockerHostOptions;
  /** @default the host's name, made into a builder name */
  readonly name?: string;
  readonly slots?: number;
  readonly slotCpus?: number;
  readonly slotMemoryBytes?: number;
  /** Where the builder reaches the services box. @default GYRE_SERVICES_URL, or loopback on the local host */
  readonly servicesUrl?: string;
  /** The CA bundle that vouches for the services certificate. @default GYRE_SERVICES_CA_FILE */
  readonly servicesCaFile?: string;
  /** Port of the agent's local API on the host. @default what this builder had, else AGENT_API_PORT */
  readonly agentApiPort?: number;
  /** How long to wait for the registration. @default 180000 */
  readonly timeoutMs?: number;
}

export interface JoinResult {
  readonly name: string;
  readonly host: string;
  readonly capacity: Capacity;
  readonly builder: FleetBuilder;
  /** False when the builder was already there and running. */
  readonly changed: boolean;
}

export interface BuilderJoin {
  readonly tasks: Task[];
  result(): JoinResult;
}

export function planJoin(options: JoinOptions): BuilderJoin {
  const { settings, stateFolder } = options;
  let target: ConnectedHost | undefined;
  let name = options.name;
  let capacity: Capacity | undefined;
  let servicesUrl: string | undefined;
  /** How it reaches the services box when it is on the same host (and given no other address). */
  let onServicesHost: LocalServicesAccess | undefined;
  // GYRE_SERVICES_CA_FILE, else what a builder on the services host trusts (its own certificate).
  const servicesCaFile = () => options.servicesCaFile ?? settings.builder.servicesCaFile ?? onServicesHost?.caFile;
  let existing: FleetBuilder | undefined;
  /** The address the builder reached before this join, when this join changes it. */
  let movedAway: string | undefined;
  /** When a moved builder's row was last seen before its agent started again, by the services box's clock. */
  let seenBeforeStart: string | undefined;
  let builder: FleetBuilder | undefined;
  const connected = () => target!;
  const builderName = () => name!;
  const stack = () =>
    new ComposeProject({
      host: connected().host,
      dir: stateFolder.builderDir(builderName()),
      file: 'builder.yml',
      projectName: builderProjectName(builderName()),
      env: { GYRE_JOIN_SECRET: settings.secrets.joinSecret ?? '', ...configContents() },
    });
  // The services CA's content, handed to Compose as the stack's variable (BUILDER_CONFIG_VARIABLES).
  const configContents = (): Record<string, string> => {
    const file = servicesCaFile();
    if (file === undefined) return {};
    const pem = readExtraCa(file, 'GYRE_SERVICES_CA_FILE');
    if (Buffer.byteLength(pem) > MAX_CONFIG_VARIABLE_BYTES)
      throw new InvalidInputError('--services-ca', [
        {
          input: file,
          message: `holds ${Math.round(Buffer.byteLength(pem) / 1024)} KiB of certificates, more than one variable can carry to a remote host (${MAX_CONFIG_VARIABLE_BYTES / 1024} KiB)`,
          hint: 'give only the certificate authority that signed the services certificate, or the certificate itself, not a whole bundle',
        },
      ]);
    return { [BUILDER_CONFIG_VARIABLES.gyre_services_ca]: pem };
  };
  const slots = {
    ...(options.slots !== undefined || settings.builder.slots !== undefined
      ? { slots: options.slots ?? settings.builder.slots }
      : {}),
    slotCpus: options.slotCpus ?? settings.builder.slotCpus,
    slotMemoryBytes: options.slotMemoryBytes ?? settings.builder.slotMemoryBytes,
  };

  const tasks: Task[] = [
    {
      title: `Check the Docker host ${options.hostText ?? '(local)'}`,
      run: async () => {
        target = await connectHost(options.hostText, options.tls);
        name ??= builderNameOf(target.facts.name);
        capacity = computeCapacity({ cpus: target.facts.cpus, memoryBytes: target.facts.memoryBytes }, slots);
        const local = isLocalHost(target.host) ? localServicesAccess(settings) : undefined;
        const given = options.servicesUrl ?? settings.builder.servicesUrl;
        // A roll passes the address the builder had: the services host's own when it is this one,
        // on plain loopback if it joined before TLS was on, which now takes the HTTPS one.
        onServicesHost =
          local !== undefined && (given === undefined || given === local.url || given === local.loopbackHttpUrl)
            ? local
            : undefined;
        servicesUrl = onServicesHost?.url ?? given;
        const scheme = settings.tls ? 'https' : 'http';
        if (servicesUrl === undefined) {
          throw new InvalidInputError('gyre builder join', [
            {
              input: '--services-url',
              message: `is needed: a builder on ${target.description} cannot reach the services box on loopback`,
              hint: `pass --services-url ${scheme}://<services-host-name>:<port>, or set GYRE_SERVICES_URL in .env`,
            },
          ]);
        }
        if (settings.tls && new URL(servicesUrl).protocol === 'http:') {
          throw new InvalidInputError('gyre builder join', [
            {
              input: '--services-url',
              message: `is ${servicesUrl}, plain HTTP, but the services box has TLS on: its plain port only redirects, and the builder's credential would cross in clear`,
              hint: `pass --services-url https://${settings.hostname}:${settings.listen.httpsPort} (the name its certificate holds), with --services-ca FILE for a certificate this system does not trust`,
            },
          ]);
        }
        return `${target.description}: Docker ${target.facts.version}, ${target.facts.cpus} CPUs, ${Math.round(target.facts.memoryBytes / 1024 ** 3)} GiB → ${describeCapacity(capacity)}`;
      },
    },
    {
      title: 'Check the join secret and the builder name',
      run: async () => {
        if (!(await options.api().joinSecretAccepted(settings.secrets.joinSecret ?? ''))) {
          throw new InvalidInputError('gyre builder join', [
            {
              input: 'GYRE_JOIN_SECRET',
              message: `is not accepted by the services box at ${options.api().url}`,
              hint: "use the services box's GYRE_JOIN_SECRET (its .env), or the new one if it was rotated",
            },
          ]);
        }
        existing = (await options.api().builders()).find((b) => b.name === builderName() && b.state !== 'revoked');
        const record = stateFolder.builderHost(builderName());
        if (existing && record?.host !== (connected().text ?? '')) {
          throw new ConflictError(
            `a builder named "${builderName()}" is already registered (on ${record ? record.host : `Docker host ${existing.host}`}); choose another --name, or remove that builder first with \`gyre builder remove ${builderName()}\``,
          );
        }
        return existing
          ? `${builderName()} is known on this host (${existing.state}); joining again`
          : `${builderName()} is free`;
      },
    },
    {
      title: 'Gyre images on the host',
      run: async (onLine) => {
        const local = createDockerClient(resolveDockerHost(undefined, process.env));
        const refs = builderImageRefs(settings);
        const shipped = await shipImages(local, connected().docker, refs, onLine);
        return shipped.shipped.length > 0
          ? `shipped ${shipped.shipped.join(', ')}`
          : `${refs.join(', ')} ${refs.length > 1 ? 'are' : 'is'} already there`;
      },
    },
    {
      title: 'Render the builder stack',
      run: () => {
        const before = stateFolder.builderHost(builderName());
        // A builder joined again at another address (its install restored there) keeps its
        // identity: the agent may send it to the new address, as it did to the old.
        movedAway = before !== undefined && before.servicesUrl !== servicesUrl ? before.servicesUrl : undefined;
        const movedFrom = movedAway ?? before?.movedFrom;
        const builderSettings: Settings = {
          ...settings,
          builder: {
            ...settings.builder,
            name: builderName(),
            servicesUrl: servicesUrl!,
            ...(movedFrom !== undefined && { movedFrom }),
            ...(servicesCaFile() !== undefined && { servicesCaFile: servicesCaFile()! }),
            slots: capacity!.slots,
            slotCpus: capacity!.slotCpus,
            slotMemoryBytes: capacity!.slotMemoryBytes,
          },
        };
        const apiPort = options.agentApiPort ?? stateFolder.builderHost(builderName())?.apiPort ?? AGENT_API_PORT;
        const rendered = renderBuilderStack(builderSettings, readStackTemplates(), {
          version: GYRE_VERSION,
          joinSecretSource: 'environment',
          agentApiPort: apiPort,
          extraHosts: onServicesHost?.extraHosts ?? [],
        });
        const [file] = writeStacks(stateFolder.builderDir(builderName()), [rendered], { warn: () => undefined });
        stateFolder.saveBuilderHost({
          name: builderName(),
          host: connected().text ?? '',
          apiPort,
          servicesUrl: servicesUrl!,
          ...(movedFrom !== undefined && { movedFrom }),
          ...(options.servicesCaFile !== undefined && { servicesCaFile: options.servicesCaFile }),
          slots,
          ...(Object.keys(options.tls ?? {}).length > 0 && { tls: options.tls }),
        });
        return Promise.resolve(`wrote ${file}`);
      },
    },
    {
      title: 'Start the builder stack',
      run: async (onLine) => {
        if (movedAway !== undefined) {
          // Its jobs cannot report to the address it leaves (a restore moved the install, or it is
          // down), so a drain would wait out its whole deadline: the agent stops at once, and the
          // services box requeues its jobs by the lease rules.
          onLine(`stopping the agent at once: it leaves ${movedAway}, where its running jobs could not report`);
          await stack().stopService('agent', 0);
          // A restored row is `active` already: the registration to wait for is the one after this.
          seenBeforeStart = (await options.api().builders()).find((b) => b.name === builderName())?.lastSeenAt;
        }
        await stack().up(onLine);
        return `${builderProjectName(builderName())} is up on ${connected().description}`;
      },
    },
    {
      title: 'Wait for the registration',
      run: async (onLine) => {
        builder = await waitForRegistration(
          options.api(),
          builderName(),
          options.timeoutMs ?? 180_000,
          onLine,
          seenBeforeStart,
        );
        return `${builder.name} is ${builder.state}: ${builder.slots} slot(s) of ${builder.slotCpus || 'unlimited'} CPU / ${Math.round(builder.slotMemoryBytes / 1024 ** 3)} GiB`;
      },
    },
  ];
  return {
    tasks,
    result: () => ({
      name: builderName(),
      host: connected().description,
      capacity: capacity!,
      builder: builder!,
      changed: existing?.state !== 'active',
    }),
  };
}

/**
 * The builder once it is registered and active; with `seenBefore` (the services box's time of the
 * row's last sign of life before the agent started), only once it was seen since, by registering.
 */
async function waitForRegistration(
  api: GyreClient,
  name: string,
  timeoutMs: number,
  onLine: (line: string) => void,
  seenBefore?: string,
): Promise<FleetBuilder> {
  const started = Date.now();
  let last = '';
  while (Date.now() - started < timeoutMs) {
    const builder = (await api.builders()).find((b) => b.name === name && b.state !== 'revoked');
    const registered =
      builder !== undefined && (seenBefore === undefined || Date.parse(builder.lastSeenAt) > Date.parse(seenBefore));
    const now = !registered ? `waiting for ${name} to register` : `${name} is ${builder.state}`;
    if (now !== last) onLine((last = now));
    if (registered && builder.state === 'active') return builder;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new TimeoutError(
    `builder ${name} to register and be active (check the agent's log: docker compose -p ${builderProjectName(name)} logs agent, on its host)`,
    timeoutMs,
  );
}

export function describeCapacity(capacity: Capacity): string {
  const cpu = capacity.slotCpus === 0 ? 'no CPU limit' : `${capacity.slotCpus} CPU`;
  return `${capacity.slots} slot(s) of ${cpu} / ${Math.round((capacity.slotMemoryBytes / 1024 ** 3) * 10) / 10} GiB${capacity.explicit ? ' (set explicitly)' : ''}`;
}
