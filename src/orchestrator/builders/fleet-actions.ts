/**
 * Drain, remove and roll: what an operator does to builders that are already joined. Drains go
 * through the services API (the agent sees them on its next lease or heartbeat); stacks come down
 * through Compose on the builder's own Docker host, found in the stateFolder.
 */
import { BUILDER_CONFIG_VARIABLES, builderProjectName } from '../../render/index.js';
import { ConflictError, InvalidInputError, NotFoundError, TimeoutError } from '../../shared/errors.js';
import type { BuilderResponse as FleetBuilder } from '../../api/responses.js';
import type { GyreClient } from '../../client/gyre-client.js';
import { ComposeProject } from '../compose/compose-project.js';
import { connectHost } from '../hosts.js';
import type { Task } from '../tasks.js';
import type { StateFolder } from '../state-folder.js';
import { planJoin, type JoinOptions, type JoinResult } from './join-builder.js';

const POLL_MS = 1000;

/** The builder with this name, or a NotFoundError that lists the names there are. */
export async function builderNamed(api: GyreClient, name: string): Promise<FleetBuilder> {
  const live = (await api.builders()).filter((b) => b.state !== 'revoked');
  const found = live.find((b) => b.name === name);
  if (!found)
    throw new NotFoundError(`builder "${name}" (known builders: ${live.map((b) => b.name).join(', ') || 'none'})`);
  return found;
}

/** Starts a drain (idempotent); an unknown or revoked builder is a NotFoundError naming the known ones. */
export async function drainBuilder(api: GyreClient, name: string, deadlineSeconds: number): Promise<FleetBuilder> {
  const builder = await builderNamed(api, name);
  return api.drainBuilder(builder.id, deadlineSeconds);
}

/** Polls until the builder is `drained`, reporting each change of its running jobs. */
export async function waitUntilDrained(
  api: GyreClient,
  name: string,
  onLine: (line: string) => void,
  timeoutMs = 24 * 3_600_000,
): Promise<FleetBuilder> {
  let last = '';
  for (const started = Date.now(); Date.now() - started < timeoutMs;) {
    const builder = await builderNamed(api, name);
    const now = `${name}: ${builder.state}, ${builder.runningJobs} job(s) running${builder.drainDeadline ? `, deadline ${builder.drainDeadline}` : ''}`;
    if (now !== last) onLine((last = now));
    if (builder.state === 'drained') return builder;
    if (builder.state === 'active') throw new ConflictError(`the drain of ${name} was cancelled while waiting`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new TimeoutError(`builder ${name} to be drained`, timeoutMs);
}

export interface RemoveOptions {
  readonly api: GyreClient;
  readonly stateFolder: StateFolder;
  readonly name: string;
  readonly force: boolean;
}

/**
 * Removes a drained builder: its stack (and identity volume) on its host, then its credential.
 * `force` drains it with a zero deadline first, so its jobs are requeued.
 */
export function planRemove(options: RemoveOptions): Task[] {
  const { api, stateFolder, name } = options;
  let builder: FleetBuilder | undefined;
  return [
    {
      title: `Check builder ${name}`,
      run: async (onLine) => {
        builder = await builderNamed(api, name);
        const record = stateFolder.builderHost(name);
        if (!record)
          throw new NotFoundError(
            `the Docker host of builder ${name} in ${stateFolder.dir} (it was not joined from here); remove its stack on its host with \`docker compose -p ${builderProjectName(name)} down --volumes\`, then revoke it`,
          );
        if (!['drained', 'lost'].includes(builder.state)) {
          if (!options.force)
            throw new ConflictError(
              `builder ${name} is ${builder.state} with ${builder.runningJobs} job(s); drain it first (\`gyre builder drain ${name} --wait\`) or pass --force to stop its jobs now (they are requeued)`,
            );
          await api.drainBuilder(builder.id, 0);
          builder = await waitUntilDrained(api, name, onLine, 120_000);
        }
        return `${name} is ${builder.state} on ${record.host || 'the local host'}`;
      },
    },
    {
      title: 'Bring its stack down',
      run: async () => {
        const record = stateFolder.builderHost(name)!;
        const target = await connectHost(record.host || undefined, record.tls);
        await new ComposeProject({
          host: target.host,
          dir: stateFolder.builderDir(name),
          file: 'builder.yml',
          projectName: builderProjectName(name),
          // `down` needs no value, but Compose reads the file and wants every variable it names.
          env: {
            GYRE_JOIN_SECRET: '',
            ...Object.fromEntries(Object.values(BUILDER_CONFIG_VARIABLES).map((name) => [name, ''])),
          },
        }).down(true);
        return `${builderProjectName(name)} removed from ${target.description}`;
      },
    },
    {
      title: 'Revoke its credential',
      run: async () => {
        await api.revokeBuilder(builder!.id);
        stateFolder.forgetBuilder(name);
        return `${name} revoked`;
      },
    },
  ];
}

export interface RollOptions extends Omit<JoinOptions, 'hostText' | 'tls' | 'name' | 'agentApiPort'> {
  /** Only the builders on these hosts (as given to `join`); all when empty. */
  readonly hosts: readonly string[];
  readonly drainDeadlineSeconds: number;
}

/**
 * Replaces every builder: joins its successor on the same host first, then drains the old one and
 * removes it once drained, so capacity never drops below what it was.
 */
export function planRoll(options: RollOptions): {
  tasks: Task[];
  replaced: () => { old: string; successor: string }[];
} {
  const records = options.stateFolder
    .builderHosts()
    .filter((r) => options.hosts.length === 0 || options.hosts.includes(r.host));
  if (records.length === 0)
    throw new InvalidInputError('gyre builder roll', [
      {
        input: options.hosts.length > 0 ? `--host ${options.hosts.join(' --host ')}` : 'builders',
        message: `no builder joined from ${options.stateFolder.dir} matches`,
        hint: 'see `gyre builder list`; roll only builders joined with `gyre builder join` from this folder',
      },
    ]);
  const replaced: { old: string; successor: string }[] = [];
  const tasks: Task[] = [];
  for (const record of records) {
    const successor = successorName(record.name);
    const join = planJoin({
      ...options,
      ...(record.host && { hostText: record.host }),
      ...(record.tls && { tls: record.tls }),
      name: successor,
      agentApiPort: otherPort(record.apiPort),
      servicesUrl: record.servicesUrl,
      ...(record.servicesCaFile !== undefined && { servicesCaFile: record.servicesCaFile }),
      ...(record.slots.slots !== undefined && { slots: record.slots.slots }),
      slotCpus: record.slots.slotCpus,
      slotMemoryBytes: record.slots.slotMemoryBytes,
    });
    tasks.push(...join.tasks.map((task) => ({ ...task, title: `${successor}: ${task.title}` })));
    tasks.push({
      title: `${record.name}: drain`,
      run: async (onLine) => {
        const joined: JoinResult = join.result();
        await drainBuilder(options.api(), record.name, options.drainDeadlineSeconds);
        await waitUntilDrained(options.api(), record.name, onLine);
        replaced.push({ old: record.name, successor: joined.name });
        return `${record.name} drained; ${joined.name} took its place`;
      },
    });
    tasks.push(
      ...planRemove({ api: options.api(), stateFolder: options.stateFolder, name: record.name, force: false }).map(
        (task) => ({ ...task, title: `${record.name}: ${task.title}` }),
      ),
    );
  }
  return { tasks, replaced: () => replaced };
}

/** `b1` → `b1-r1`, `b1-r1` → `b1-r2`: a new name, since a name belongs to one builder. */
export function successorName(name: string): string {
  const match = /^(.*)-r(\d+)$/.exec(name);
  const suffix = `-r${match ? Number(match[2]) + 1 : 1}`;
  // The number always changes, so the result differs from the input even when the base is cut to fit 40.
  const base = (match ? match[1]! : name).slice(0, 40 - suffix.length).replace(/-+$/, '');
  return `${base}${suffix}`;
}

/** The successor runs beside its predecessor on the same host, so its local API needs another port. */
function otherPort(port: number): number {
  return port % 2 === 1 ? port + 1 : port - 1;
}
