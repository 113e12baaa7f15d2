/**
 * `workflows:`: each workflow's job invocations, with names, parameters, filters and `requires`
 * (requires.ts) checked. The dependency graph itself is checked in `workflow-graph.ts`.
 */
import { childPath, itemPath, type Position } from './errors.js';
import { substituteIn, type ConfigContext, type JobDefinition } from './context.js';
import { readFilters } from './filters.js';
import { evaluateCondition } from './logic.js';
import { readMatrix, type Matrix, type MatrixInstance } from './matrix.js';
import { resolveName, visibleNames } from './orb-scopes.js';
import { readTriggers } from './triggers.js';
import type { Job, JobFilters, Step, Workflow, WorkflowJob } from './model.js';
import { checkKeys, expectMap, readNonEmptyString } from './read-node.js';
import { readRequires, type WrittenRequirement } from './requires.js';
import { instantiateJob } from './validate-jobs.js';
import { readSteps } from './validate-steps.js';
import { checkWorkflowGraph, type JobInvocation } from './workflow-graph.js';
import { resolveGroupNames, type InvocationGroup } from './workflow-names.js';
import { describeNode, getValue, makeScalar, type YEntry, type YMap, type YNode } from './yaml-node.js';

export const INVOCATION_KEYS = ['requires', 'filters', 'name', 'context', 'matrix', 'pre-steps', 'post-steps', 'type'];
export const WORKFLOW_KEYS = ['jobs', 'when', 'unless', 'triggers'];
/** Options of a workflow job that only a job that runs takes. */
const RUNNING_JOB_KEYS = ['pre-steps', 'post-steps'];

/** Reads every workflow. Without `workflows:`, CircleCI runs the job named `build`, and so does Gyre. */
export function readWorkflows(
  node: YNode | undefined,
  root: YMap,
  jobs: ReadonlyMap<string, JobDefinition>,
  ctx: ConfigContext,
): Workflow[] {
  if (node === undefined) return implicitWorkflow(root.pos, jobs, ctx);
  const map = expectMap(node, 'workflows', ctx.errors, 'a map of workflow names to workflows');
  const workflows: Workflow[] = [];
  for (const entry of map?.entries ?? []) {
    if (entry.key === 'version') continue; // `version: 2` under workflows is legacy 2.0 syntax, harmless.
    const workflow = readWorkflow(entry, jobs, ctx);
    if (workflow) workflows.push(workflow);
  }
  if (map && map.entries.every((e) => e.key === 'version'))
    ctx.errors.add(map.pos, 'workflows', '`workflows:` defines no workflow; add one with a `jobs:` list');
  return workflows;
}

function implicitWorkflow(at: Position, jobs: ReadonlyMap<string, JobDefinition>, ctx: ConfigContext): Workflow[] {
  const build = jobs.get('build');
  if (!build) {
    if (jobs.size > 0)
      ctx.errors.add(
        at,
        'workflows',
        'the config has no `workflows:` and no job named "build"; add a workflow listing the jobs to run',
      );
    return [];
  }
  const job = instantiateJob(build, [], at, 'workflows', ctx);
  return job
    ? [{ name: 'workflow', jobs: [{ name: 'build', jobName: 'build', requires: [], filters: {}, contexts: [], job }] }]
    : [];
}

function readWorkflow(
  entry: YEntry,
  jobs: ReadonlyMap<string, JobDefinition>,
  ctx: ConfigContext,
): Workflow | undefined {
  const path = childPath('workflows', entry.key);
  const map = expectMap(entry.value, path, ctx.errors, 'a workflow with a `jobs:` list');
  if (!map) return undefined;
  checkKeys(map, path, WORKFLOW_KEYS, ctx.errors, `workflow "${entry.key}"`);
  const triggersNode = getValue(map, 'triggers');
  const schedules = triggersNode && readTriggers(triggersNode, childPath(path, 'triggers'), ctx.errors);
  const runs = workflowRuns(map, entry.key, path, ctx);
  const jobsNode = getValue(map, 'jobs');
  if (jobsNode?.kind !== 'seq' || jobsNode.items.length === 0) {
    ctx.errors.add(
      jobsNode?.pos ?? map.pos,
      childPath(path, 'jobs'),
      `workflow "${entry.key}" needs \`jobs:\`, a non-empty list of job names`,
    );
    return undefined;
  }
  const groups = jobsNode.items.map((item, i) =>
    readInvocations(item, itemPath(childPath(path, 'jobs'), i), jobs, ctx),
  );
  const invocations = resolveGroupNames(
    groups.filter((g) => g !== undefined),
    ctx.errors,
  );
  checkWorkflowGraph(invocations, ctx.errors);
  const built: WorkflowJob[] = [];
  for (const i of invocations) {
    const requires = i.requires.map((r) => ({ job: r.name, statuses: r.statuses }));
    const base = { name: i.name, jobName: i.jobName, requires, filters: i.filters, contexts: i.contexts };
    if (i.approval) built.push({ ...base, approval: true });
    else if (i.job) built.push({ ...base, job: i.job });
  }
  const complete = groups.every((g) => g?.complete === true);
  // A workflow its condition skips is still checked whole, but not run.
  if (!complete || built.length !== invocations.length || !runs) return undefined;
  return { name: entry.key, ...(schedules && schedules.length > 0 && { schedules }), jobs: built };
}

/**
 * A workflow's `when` and `unless` (logic.ts), both of which must allow it. Workflow conditions
 * see pipeline parameters and values, not job parameters.
 */
function workflowRuns(map: YMap, name: string, path: string, ctx: ConfigContext): boolean {
  let runs = true;
  for (const key of ['when', 'unless'] as const) {
    const node = getValue(map, key);
    if (node === undefined) continue;
    const at = childPath(path, key);
    const holds = evaluateCondition(substituteIn(ctx, node, undefined, `workflow "${name}"`, at), at, ctx.errors);
    runs &&= holds === (key === 'when');
  }
  return runs;
}

interface ParsedInvocation extends JobInvocation {
  readonly requires: readonly WrittenRequirement[];
  readonly jobName: string;
  readonly filters: JobFilters;
  readonly contexts: readonly string[];
  /** The job to run; undefined for an approval job, or after reporting why it cannot be built. */
  readonly job: Job | undefined;
  readonly approval: boolean;
}

/**
 * One entry of a workflow's `jobs:` list: one invocation, or one per matrix instance. `complete`
 * is false when the entry could not be read whole (its jobs are then left out of the graph).
 */
function readInvocations(
  node: YNode,
  path: string,
  jobs: ReadonlyMap<string, JobDefinition>,
  ctx: ConfigContext,
): InvocationGroup<ParsedInvocation> | undefined {
  const entry = toEntry(node, path, ctx);
  if (!entry) return undefined;
  const optionPath = childPath(path, entry.key);
  const options =
    entry.value.kind === 'scalar' && entry.value.value === null
      ? emptyMap(entry.value.pos)
      : expectMap(entry.value, optionPath, ctx.errors);
  const typeNode = options && getValue(options, 'type');
  const approval = typeNode !== undefined && isApproval(typeNode, childPath(optionPath, 'type'), ctx);
  // An approval job's key names nothing under `jobs:`.
  const resolved = resolveName(entry.key, entry.keyPos, ctx.orbScopes);
  const def = approval || !('key' in resolved) ? undefined : jobs.get(resolved.key);
  // An unknown job's options are still checked, and it stays in the graph, so jobs that require
  // it are not also told it is missing: every problem at once, each reported once.
  if (!def && !approval && !('reported' in resolved)) {
    const known = visibleNames(jobs.keys(), entry.keyPos, ctx.orbScopes).join(', ') || '(none)';
    ctx.errors.add(
      entry.keyPos,
      path,
      'problem' in resolved ? resolved.problem : `unknown job "${entry.key}"; jobs defined under \`jobs:\`: ${known}`,
    );
  }
  if (!options) return undefined;
  const matrixNode = getValue(options, 'matrix');
  const rest: YMap = { ...options, entries: options.entries.filter((o) => o.key !== 'matrix') };
  const read = (instance?: MatrixInstance): ParsedInvocation =>
    readInvocation({ entry, def, approval, options: rest, path, optionPath }, instance, ctx);
  if (matrixNode === undefined) return { members: [read()], complete: true };
  const matrix = readMatrixOf(matrixNode, childPath(optionPath, 'matrix'), ctx);
  // A matrix that cannot be read still answers to its alias, so jobs requiring it are not also reported.
  if (!matrix) return { members: [], complete: false, alias: writtenAlias(matrixNode) ?? entry.key };
  return { members: matrix.instances.map(read), complete: true, alias: matrix.alias ?? entry.key };
}

/** A matrix's `alias` as written, if it is a string, whatever else is wrong with the matrix. */
function writtenAlias(matrixNode: YNode): string | undefined {
  const alias = matrixNode.kind === 'map' ? getValue(matrixNode, 'alias') : undefined;
  return alias?.kind === 'scalar' && typeof alias.value === 'string' ? alias.value : undefined;
}

function readMatrixOf(node: YNode, path: string, ctx: ConfigContext): Matrix | undefined {
  if (ctx.version !== '2') return readMatrix(node, path, ctx.errors);
  ctx.errors.add(node.pos, path, '`matrix` needs `version: 2.1`');
  return undefined;
}

/** `type: approval`, the only type a workflow job can name. */
function isApproval(node: YNode, path: string, ctx: ConfigContext): boolean {
  if (node.kind === 'scalar' && node.value === 'approval') return true;
  ctx.errors.add(
    node.pos,
    path,
    `expected \`type: approval\` (a job the workflow waits at until someone approves it), got ${describeNode(node)}; leave \`type\` out for a job that runs`,
  );
  return false;
}

interface InvocationSource {
  readonly entry: YEntry;
  readonly def: JobDefinition | undefined;
  readonly approval: boolean;
  /** The invocation's options without `matrix`. */
  readonly options: YMap;
  readonly path: string;
  readonly optionPath: string;
}

/** One invocation: for a matrix, its `instance`, whose values stand in for `<< matrix.x >>`. */
function readInvocation(
  { entry, def, approval, options, path, optionPath }: InvocationSource,
  instance: MatrixInstance | undefined,
  ctx: ConfigContext,
): ParsedInvocation {
  const matrixValues = instance && new Map(instance.args.map((a) => [a.key, a.value]));
  const substituted = substituteIn(ctx, options, undefined, `workflow job "${entry.key}"`, optionPath, matrixValues);
  const opts = substituted.kind === 'map' ? substituted.entries : [];
  const option = (key: string): YNode | undefined => opts.find((o) => o.key === key)?.value;
  const readStepsOption = (key: string): Step[] => {
    const steps = option(key);
    if (steps === undefined) return [];
    if (ctx.version === '2') ctx.errors.add(steps.pos, childPath(optionPath, key), `\`${key}\` needs \`version: 2.1\``);
    return readSteps(steps, childPath(optionPath, key), ctx);
  };
  const nameNode = option('name');
  const defaultName = instance ? `${entry.key}-${instance.suffix}` : entry.key;
  const name = (nameNode && readNonEmptyString(nameNode, childPath(optionPath, 'name'), ctx.errors)) ?? defaultName;
  const filtersNode = option('filters');
  const filters = (filtersNode && readFilters(filtersNode, childPath(optionPath, 'filters'), ctx.errors)) ?? {};
  const args = opts.filter((o) => !INVOCATION_KEYS.includes(o.key));
  for (const arg of args)
    if (matrixValues?.has(arg.key))
      ctx.errors.add(
        arg.keyPos,
        childPath(optionPath, arg.key),
        `"${arg.key}" is given both here and in \`matrix.parameters\`; keep one of them`,
      );
  if (approval) reportRunningJobOptions(opts, entry.key, optionPath, ctx);
  const around = { before: readStepsOption('pre-steps'), after: readStepsOption('post-steps') };
  const job = def && instantiateJob(def, [...args, ...(instance?.args ?? [])], entry.keyPos, optionPath, ctx, around);
  return {
    name,
    at: nameNode?.pos ?? entry.keyPos,
    path,
    jobName: entry.key,
    filters,
    contexts: readContexts(option('context'), childPath(optionPath, 'context'), ctx),
    job,
    approval,
    requires: readRequires(option('requires'), childPath(optionPath, 'requires'), ctx.errors),
  };
}

/** An approval job runs nothing: it has no parameters, and no steps to add to. */
function reportRunningJobOptions(opts: readonly YEntry[], key: string, optionPath: string, ctx: ConfigContext): void {
  for (const o of opts) {
    const at = childPath(optionPath, o.key);
    if (RUNNING_JOB_KEYS.includes(o.key) || !INVOCATION_KEYS.includes(o.key))
      ctx.errors.add(
        o.keyPos,
        at,
        `an approval job runs nothing, so it takes no \`${o.key}\`; remove it, or remove \`type: approval\` to run job "${key}"`,
      );
  }
}

function emptyMap(pos: Position): YMap {
  return { kind: 'map', pos, entries: [] };
}

function toEntry(node: YNode, path: string, ctx: ConfigContext): YEntry | undefined {
  if (node.kind === 'scalar' && typeof node.value === 'string')
    return { key: node.value, keyPos: node.pos, value: makeScalar(node.pos, null) };
  const map = expectMap(node, path, ctx.errors, 'a job name, or a map with one key (the job name) holding its options');
  if (!map) return undefined;
  if (map.entries.length === 1) return map.entries[0];
  ctx.errors.add(
    map.entries[1]?.keyPos ?? map.pos,
    path,
    `a workflow job is a map with exactly one key, the job name; got ${map.entries.length} keys. Indent options such as requires under the job name`,
  );
  return undefined;
}

/** `context:` names one context or lists several; each job gets their variables (if it may use them). */
function readContexts(node: YNode | undefined, path: string, ctx: ConfigContext): readonly string[] {
  if (node === undefined) return [];
  const items = node.kind === 'seq' ? node.items : [node];
  const names = items.flatMap((item, i) => {
    const name = readNonEmptyString(item, node.kind === 'seq' ? itemPath(path, i) : path, ctx.errors);
    return name === undefined ? [] : [name.trim()];
  });
  return [...new Set(names)];
}
