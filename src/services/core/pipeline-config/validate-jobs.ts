/**
 * Job definitions and their instantiation: arguments bound, parameters substituted, executor
 * merged, resource class mapped and steps expanded into a concrete {@link Job}.
 */
import { childPath, type ErrorCollector, type Position } from './errors.js';
import {
  checkDefinitionName,
  definitionKey,
  substituteIn,
  type ConfigContext,
  type DefinitionPlace,
  type ExecutorDefinition,
  type JobDefinition,
} from './context.js';
import { machineEngineStep, readMachineExecutor } from './machine-executor.js';
import { readDockerExecutor } from './docker-images.js';
import type { Job, Step } from './model.js';
import { bindArguments, readParameterSpecs } from './parameters.js';
import { checkKeys, expectMap, readEnvironment, readNonEmptyString } from './read-node.js';
import { EXECUTOR_KEYS, instantiateExecutor, resolveExecutorReference } from './resolve-executors.js';
import { resolveResourceClass } from './resource-classes.js';
import { validateSteps } from './validate-job-steps.js';
import { describeNode, findEntry, getValue, type YEntry, type YMap, type YNode } from './yaml-node.js';

/** CircleCI's default working directory. */
export const DEFAULT_WORKING_DIRECTORY = '~/project';
export const JOB_KEYS = [...EXECUTOR_KEYS, 'executor', 'steps', 'parameters', 'description', 'parallelism'];

/** Reads the config's job definitions under `jobs:`; their bodies are checked when instantiated. */
export function readJobDefinitions(
  node: YNode | undefined,
  at: Position,
  ctx: Pick<ConfigContext, 'errors' | 'version'>,
): Map<string, JobDefinition> {
  if (node === undefined) {
    ctx.errors.add(at, 'jobs', 'the config needs `jobs:`, a map of job names to jobs');
    return new Map();
  }
  const map = expectMap(node, 'jobs', ctx.errors, 'a map of job names to jobs');
  if (map?.entries.length === 0) ctx.errors.add(map.pos, 'jobs', '`jobs:` defines no job; add at least one');
  return map ? readJobMap(map, { path: 'jobs' }, ctx) : new Map<string, JobDefinition>();
}

/** Reads the job definitions of a `jobs:` map at `place`. */
export function readJobMap(
  map: YMap,
  place: DefinitionPlace,
  ctx: Pick<ConfigContext, 'errors' | 'version'>,
): Map<string, JobDefinition> {
  const jobs = new Map<string, JobDefinition>();
  for (const entry of map.entries) {
    const path = childPath(place.path, entry.key);
    if (!checkDefinitionName(entry.key, entry.keyPos, path, ctx.errors)) continue;
    const body = expectMap(entry.value, path, ctx.errors, 'a job definition with `docker` and `steps`');
    if (!body) continue;
    const declared = findEntry(body, 'parameters');
    if (declared && ctx.version === '2')
      ctx.errors.add(declared.keyPos, childPath(path, 'parameters'), 'job parameters need `version: 2.1`');
    const key = definitionKey(place, entry.key);
    jobs.set(key, {
      name: key,
      parameters: readParameterSpecs(declared?.value, childPath(path, 'parameters'), ctx.errors),
      body,
      path,
    });
  }
  return jobs;
}

/** A workflow job's `pre-steps` and `post-steps`, run before and after the job's own steps. */
export interface SurroundingSteps {
  readonly before: readonly Step[];
  readonly after: readonly Step[];
}

/**
 * Builds the concrete job for one invocation; `undefined` once anything was reported. `at` and
 * `invocationPath` locate the invocation, where argument errors are reported.
 */
export function instantiateJob(
  def: JobDefinition,
  args: readonly YEntry[],
  at: Position,
  invocationPath: string,
  ctx: ConfigContext,
  around: SurroundingSteps = { before: [], after: [] },
): Job | undefined {
  const values = bindArguments(def.parameters, args, at, invocationPath, `job "${def.name}"`, ctx.errors);
  if (!values) return undefined;
  const withoutDecl: YMap = { ...def.body, entries: def.body.entries.filter((e) => e.key !== 'parameters') };
  const substituted = substituteIn(ctx, withoutDecl, values, `job "${def.name}"`, def.path);
  const body = expectMap(substituted, def.path, ctx.errors);
  const job = body && buildJob(body, def, ctx);
  if (!job) return undefined;
  // A machine's engine (buildJob's first step) starts first: pre-steps may use Docker as much as the job's own steps.
  const lead = job.machine ? 1 : 0;
  return {
    ...job,
    steps: [...job.steps.slice(0, lead), ...around.before, ...job.steps.slice(lead), ...around.after],
  };
}

function buildJob(body: YMap, def: JobDefinition, ctx: ConfigContext): Job | undefined {
  const { errors } = ctx;
  const before = errors.count;
  checkKeys(body, def.path, JOB_KEYS, errors, `job "${def.name}"`);
  const base = resolveExecutorReference(body, def.path, ctx);
  // A setting the job leaves to its executor is checked where the executor writes it.
  const pick = (key: string): Setting | undefined => {
    const own = getValue(body, key);
    if (own) return { node: own, path: childPath(def.path, key) };
    const inherited = base && getValue(base.body, key);
    return inherited && { node: inherited, path: childPath(base.path, key) };
  };
  const dockerSetting = pick('docker');
  const machineSetting = pick('machine');
  if (dockerSetting && machineSetting)
    errors.add(machineSetting.node.pos, machineSetting.path, 'a job uses either `docker` or `machine`, not both');
  const docker = dockerSetting
    ? readDockerExecutor(dockerSetting.node, dockerSetting.path, errors)
    : machineSetting
      ? readMachineExecutor(machineSetting.node, machineSetting.path, errors)
      : reportMissingExecutor(body, def, errors);
  const settings = readExecutorSettings(pick, ctx);
  const environment = { ...readEnv(base?.body, base?.path ?? '', errors), ...readEnv(body, def.path, errors) };
  const parallelism = readParallelism(getValue(body, 'parallelism'), childPath(def.path, 'parallelism'), errors);
  const steps = validateSteps(getValue(body, 'steps'), body.pos, def, ctx);
  if (errors.count !== before || !docker || !settings.resourceClass) return undefined;
  const { resourceClass, workingDirectory, shell } = settings;
  const machine = machineSetting && !dockerSetting;
  return {
    docker,
    resourceClass,
    workingDirectory,
    environment,
    steps: machine ? [machineEngineStep(machineSetting.node), ...steps] : steps,
    ...(shell !== undefined && { shell }),
    ...(parallelism !== undefined && parallelism > 1 && { parallelism }),
    ...(machine && { machine: true as const }),
  };
}

/** A setting of a job, or of its executor, with where it is written. */
interface Setting {
  readonly node: YNode;
  readonly path: string;
}

/** The executor settings besides `docker` and `environment`, from `pick`'s job or executor. */
function readExecutorSettings(pick: (key: string) => Setting | undefined, ctx: ConfigContext) {
  const resourceClass = pick('resource_class');
  return {
    resourceClass: resolveResourceClass(
      resourceClass?.node,
      resourceClass?.path ?? 'resource_class',
      ctx.resourceClasses,
      ctx.errors,
    ),
    workingDirectory: readOptionalString(pick('working_directory'), ctx.errors) ?? DEFAULT_WORKING_DIRECTORY,
    shell: readOptionalString(pick('shell'), ctx.errors),
  };
}

/**
 * Checks an executor on its own, with its parameters' defaults, so mistakes in one that no job
 * uses (yet) show too. One with a parameter that has no default is checked where it is used.
 */
export function checkExecutor(executor: ExecutorDefinition, ctx: ConfigContext): void {
  if ([...executor.parameters.values()].some((p) => p.default === undefined)) return;
  const resolved = instantiateExecutor(executor, [], executor.body.pos, executor.path, ctx);
  if (!resolved) return;
  const pick = (key: string): Setting | undefined => {
    const node = getValue(resolved.body, key);
    return node && { node, path: childPath(resolved.path, key) };
  };
  const docker = pick('docker');
  if (docker) readDockerExecutor(docker.node, docker.path, ctx.errors);
  const machine = pick('machine');
  if (machine) readMachineExecutor(machine.node, machine.path, ctx.errors);
  readExecutorSettings(pick, ctx);
  readEnv(resolved.body, resolved.path, ctx.errors);
}

/** A job without `docker`, `machine` or `executor`; a macos/windows key has been reported already. */
function reportMissingExecutor(body: YMap, def: JobDefinition, errors: ErrorCollector): undefined {
  if (!['macos', 'windows', 'executor'].some((k) => findEntry(body, k))) {
    errors.add(
      body.pos,
      def.path,
      `job "${def.name}" needs an executor: add \`docker:\` with a list of images, \`machine: true\`, or \`executor:\` naming one under \`executors:\``,
    );
  }
  return undefined;
}

function readOptionalString(setting: Setting | undefined, errors: ErrorCollector): string | undefined {
  return setting === undefined ? undefined : readNonEmptyString(setting.node, setting.path, errors);
}

/** The most nodes one job may run on at once. */
export const MAX_PARALLELISM = 100;

/** `parallelism`: how many nodes run the job at once, each with its CIRCLE_NODE_INDEX. @default 1 */
function readParallelism(node: YNode | undefined, path: string, errors: ErrorCollector): number | undefined {
  if (node === undefined) return 1;
  const written = node.kind === 'scalar' ? node.value : null;
  // A number, or its text (`"3"`, as a parameter may hold it); `1.0` is 1.
  const value =
    typeof written === 'number' || (typeof written === 'string' && written.trim() !== '') ? Number(written) : NaN;
  if (Number.isInteger(value) && value >= 1 && value <= MAX_PARALLELISM) return value;
  errors.add(
    node.pos,
    path,
    `expected a whole number of parallel nodes from 1 to ${MAX_PARALLELISM}, got ${describeNode(node)}`,
  );
  return undefined;
}

function readEnv(map: YMap | undefined, path: string, errors: ErrorCollector): Record<string, string> {
  const node = map && getValue(map, 'environment');
  return (node && readEnvironment(node, childPath(path, 'environment'), errors)) ?? {};
}
