/**
 * Job definitions and their instantiation: arguments bound, parameters substituted, executor
 * merged, resource class mapped and steps expanded into a concrete {@link Job}.
 */
import { childPath, type ErrorCollector, type Position } from './errors.js';
import { substituteIn, type ConfigContext, type JobDefinition } from './context.js';
import { readDockerExecutor } from './docker-images.js';
import type { Job, Step } from './model.js';
import { bindArguments, readParameterSpecs } from './parameters.js';
import { checkKeys, expectMap, readEnvironment, readNonEmptyString } from './read-node.js';
import { explainUnsupportedKey } from './unsupported.js';
import { EXECUTOR_KEYS, resolveExecutorReference } from './resolve-executors.js';
import { resolveResourceClass } from './resource-classes.js';
import { validateSteps } from './validate-job-steps.js';
import { describeNode, findEntry, getValue, type YEntry, type YMap, type YNode } from './yaml-node.js';

/** CircleCI's default working directory. */
export const DEFAULT_WORKING_DIRECTORY = '~/project';
export const JOB_KEYS = [...EXECUTOR_KEYS, 'executor', 'steps', 'parameters', 'description', 'parallelism'];

/** Reads every job definition under `jobs:`; their bodies are checked when instantiated. */
export function readJobDefinitions(
  node: YNode | undefined,
  at: Position,
  ctx: Pick<ConfigContext, 'errors' | 'version'>,
): Map<string, JobDefinition> {
  const jobs = new Map<string, JobDefinition>();
  if (node === undefined) {
    ctx.errors.add(at, 'jobs', 'the config needs `jobs:`, a map of job names to jobs');
    return jobs;
  }
  const map = expectMap(node, 'jobs', ctx.errors, 'a map of job names to jobs');
  if (map?.entries.length === 0) ctx.errors.add(map.pos, 'jobs', '`jobs:` defines no job; add at least one');
  for (const entry of map?.entries ?? []) {
    const path = childPath('jobs', entry.key);
    const body = expectMap(entry.value, path, ctx.errors, 'a job definition with `docker` and `steps`');
    if (!body) continue;
    const declared = findEntry(body, 'parameters');
    if (declared && ctx.version === '2')
      ctx.errors.add(declared.keyPos, childPath(path, 'parameters'), 'job parameters need `version: 2.1`');
    jobs.set(entry.key, {
      name: entry.key,
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
  return job && { ...job, steps: [...around.before, ...job.steps, ...around.after] };
}

function buildJob(body: YMap, def: JobDefinition, ctx: ConfigContext): Job | undefined {
  const { errors } = ctx;
  const before = errors.count;
  checkKeys(body, def.path, JOB_KEYS, errors, `job "${def.name}"`);
  const base = resolveExecutorReference(body, def.path, ctx);
  const pick = (key: string): YNode | undefined => getValue(body, key) ?? (base && getValue(base, key));
  const docker = readDocker(pick('docker'), body, def, errors);
  const resourceClass = resolveResourceClass(
    pick('resource_class'),
    childPath(def.path, 'resource_class'),
    ctx.resourceClasses,
    errors,
  );
  const workingDirectory =
    readOptionalString(pick('working_directory'), childPath(def.path, 'working_directory'), errors) ??
    DEFAULT_WORKING_DIRECTORY;
  const shell = readOptionalString(pick('shell'), childPath(def.path, 'shell'), errors);
  const environment = { ...readEnv(base, def.path, errors), ...readEnv(body, def.path, errors) };
  checkParallelism(getValue(body, 'parallelism'), childPath(def.path, 'parallelism'), errors);
  const steps = validateSteps(getValue(body, 'steps'), body.pos, def, ctx);
  if (errors.count !== before || !docker || !resourceClass) return undefined;
  return { docker, resourceClass, workingDirectory, environment, steps, ...(shell === undefined ? {} : { shell }) };
}

function readDocker(
  node: YNode | undefined,
  body: YMap,
  def: JobDefinition,
  errors: ErrorCollector,
): Job['docker'] | undefined {
  if (node) return readDockerExecutor(node, childPath(def.path, 'docker'), errors);
  // A machine/macos/windows key has already been reported as not supported; do not pile on.
  if (!['machine', 'macos', 'windows', 'executor'].some((k) => findEntry(body, k))) {
    errors.add(
      body.pos,
      def.path,
      `job "${def.name}" needs an executor: add \`docker:\` with a list of images, or \`executor:\` naming one under \`executors:\``,
    );
  }
  return undefined;
}

function readOptionalString(node: YNode | undefined, path: string, errors: ErrorCollector): string | undefined {
  return node === undefined ? undefined : readNonEmptyString(node, path, errors);
}

// `parallelism: 1` is CircleCI's default, so it is accepted (many configs spell it out); more is refused.
function checkParallelism(node: YNode | undefined, path: string, errors: ErrorCollector): void {
  if (node === undefined) return;
  const text = node.kind === 'scalar' ? node.text : undefined;
  if (node.kind === 'scalar' && (node.value === 1 || node.value === '1')) return;
  if (text !== undefined && /^[1-9][0-9]*$/.test(text))
    errors.add(node.pos, path, explainUnsupportedKey('parallelism', 'a job') ?? '');
  else errors.add(node.pos, path, `expected a whole number of parallel runs such as 1, got ${describeNode(node)}`);
}

function readEnv(map: YMap | undefined, path: string, errors: ErrorCollector): Record<string, string> {
  const node = map && getValue(map, 'environment');
  return (node && readEnvironment(node, childPath(path, 'environment'), errors)) ?? {};
}
