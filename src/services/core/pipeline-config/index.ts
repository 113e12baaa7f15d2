/**
 * The pipeline config parser: `.circleci/config.yml` text in, a typed {@link PipelineConfig} or
 * every problem (with line and column) out. Pure: no I/O, never throws on any input.
 *
 * Decisions that later work relies on:
 * - `<< parameters.x >>`, `<< pipeline.parameters.x >>` (pipeline parameter defaults) and, when
 *   the options give them, the pipeline's `<< pipeline.* >>` values are substituted here, as
 *   CircleCI does when it compiles a config: logic statements (`when`/`unless`) use them.
 *   Without them (checking a config outside a pipeline) those values stay in the model as text.
 * - YAML anchors, aliases and `<<` merge keys work; errors inside aliased nodes point at the anchor.
 * - Top-level `references`, `defaults`, `aliases` and `x-*` keys, and any other top-level key
 *   whose value defines an `&anchor`, are tolerated as anchor holders and otherwise ignored.
 */
import { ErrorCollector, type ConfigError, type ConfigWarning } from './errors.js';
import type { ConfigContext, JobDefinition } from './context.js';
import { readCommandDefinitions } from './commands.js';
import type { PipelineConfig, ResourceClassTable } from './model.js';
import { unescapeLiterals, type PipelineValues } from './expand-parameters.js';
import { bindArguments, readParameterSpecs, type ParameterValues } from './parameters.js';
import { parseYamlWithPositions } from './parse-yaml-with-positions.js';
import { readExecutorDefinitions } from './resolve-executors.js';
import { readHeader } from './read-header.js';
import { readOrbs, type OrbLibrary } from './orbs.js';
import { checkExecutor, instantiateJob, readJobDefinitions } from './validate-jobs.js';
import { readWorkflows } from './workflows.js';
import { describeNode, findEntry, getValue, makeScalar, type YMap } from './yaml-node.js';

export type * from './model.js';
export type { ConfigError, ConfigWarning, Position } from './errors.js';
export { DEFAULT_RESOURCE_CLASSES } from './resource-classes.js';
export { matchesRef, type GitRef } from './filters.js';
export { RegexTimeoutError, withRegexBudget } from './bounded-regex.js';
export { selectJobsForRef } from './select-jobs.js';
export { PIPELINE_VALUES, type PipelineValues } from './expand-parameters.js';
export { MAX_CONFIG_BYTES } from './parse-yaml-with-positions.js';
export { checkOrb, MAX_ORB_INSTANCES, type ImportedOrb, type OrbLibrary } from './orbs.js';
export { orbReferencesIn } from './orb-references.js';
export { parseOrbReference, type OrbReference } from './orb-reference.js';

/** What the parser needs from the installation. */
export interface ParseOptions {
  /** The admin's resource class table; see `DEFAULT_RESOURCE_CLASSES`. */
  readonly resourceClasses: ResourceClassTable;
  /** The pipeline's `<< pipeline.* >>` values. @default none: they stay as written */
  readonly pipelineValues?: PipelineValues;
  /** Values for the config's pipeline parameters, given when the pipeline was triggered. @default none */
  readonly pipelineArguments?: PipelineArguments;
  /** The store's orbs the config and its orbs refer to (orb-references.ts finds them). @default none */
  readonly orbs?: OrbLibrary;
}

/** Values for pipeline parameters, as the API takes them. */
export type PipelineArguments = Readonly<Record<string, string | number | boolean>>;

/**
 * A parsed config, or every problem found in it (sorted by position). Either way, `warnings`
 * lists what the config says that Gyre ignores, as CircleCI does (sorted by position too).
 */
export type ParseResult =
  | { readonly ok: true; readonly config: PipelineConfig; readonly warnings: readonly ConfigWarning[] }
  | { readonly ok: false; readonly errors: readonly ConfigError[]; readonly warnings: readonly ConfigWarning[] };

/** Parses and validates `.circleci/config.yml` text. Never throws. */
export function parsePipelineConfig(text: string, options: ParseOptions): ParseResult {
  const yaml = parseYamlWithPositions(text);
  if (!yaml.ok) return { ok: false, errors: yaml.errors, warnings: [] };
  const errors = new ErrorCollector();
  for (const e of yaml.yamlErrors) errors.add(e, e.path, e.message);
  if (yaml.root.kind !== 'map') {
    errors.add(
      yaml.root.pos,
      '',
      `the config must be a map with \`version\`, \`jobs\` and \`workflows\`, got ${describeNode(yaml.root)}`,
    );
    return { ok: false, errors: errors.list(), warnings: [] };
  }
  const config = validateRoot(yaml.root, yaml.anchorHolders, errors, options);
  const warnings = errors.warnings();
  return config && errors.count === 0 ? { ok: true, config, warnings } : { ok: false, errors: errors.list(), warnings };
}

function validateRoot(
  root: YMap,
  anchorHolders: ReadonlySet<string>,
  errors: ErrorCollector,
  options: ParseOptions,
): PipelineConfig | undefined {
  const version = readHeader(root, anchorHolders, errors);
  if (version === undefined) return undefined;
  const orbs = readOrbs(version === '2' ? undefined : getValue(root, 'orbs'), options.orbs ?? new Map(), errors);
  const ctx: ConfigContext = {
    errors,
    version,
    commands: new Map([...readCommandDefinitions(getValue(root, 'commands'), errors), ...orbs.commands]),
    executors: new Map([...readExecutorDefinitions(getValue(root, 'executors'), errors), ...orbs.executors]),
    orbScopes: orbs.scopes,
    resourceClasses: options.resourceClasses,
    pipelineParameters: readPipelineParameters(root, options.pipelineArguments ?? {}, errors),
    ...(options.pipelineValues && { pipelineValues: options.pipelineValues }),
  };
  const jobsNode = getValue(root, 'jobs');
  // A config with orbs may run only their jobs, as CircleCI allows: `jobs:` is then optional
  // (and an orb that could not be read is reported once, not also as missing jobs).
  const ownJobs =
    jobsNode === undefined && orbs.scopes.get('')?.size
      ? new Map<string, JobDefinition>()
      : readJobDefinitions(jobsNode, root.pos, ctx);
  const workflows = readWorkflows(getValue(root, 'workflows'), root, new Map([...ownJobs, ...orbs.jobs]), ctx);
  // The config's jobs and executors that nothing uses are still checked, so mistakes show before
  // someone wires them up. An imported orb's are not: one unused job Gyre cannot run (a macOS
  // one, say) must not fail every config that imports the orb.
  for (const def of [...ownJobs.values(), ...orbs.jobs.values()]) {
    if (!def.body.pos.orb && [...def.parameters.values()].every((p) => p.default !== undefined))
      instantiateJob(def, [], def.body.pos, def.path, ctx);
  }
  for (const executor of ctx.executors.values()) if (!executor.body.pos.orb) checkExecutor(executor, ctx);
  return { version, workflows: version === '2' ? workflows : unescapeLiterals(workflows) };
}

/**
 * The pipeline parameters, with the trigger's values bound to them. Those values are not in the
 * file, so a problem with one points at the file's `parameters:` and names the parameter; a
 * parameter without a default needs a value from every trigger, pushes included.
 */
function readPipelineParameters(root: YMap, given: PipelineArguments, errors: ErrorCollector): ParameterValues {
  const at = findEntry(root, 'parameters')?.keyPos ?? root.pos;
  const specs = readParameterSpecs(getValue(root, 'parameters'), 'parameters', errors);
  const args = Object.entries(given).map(([key, value]) => ({ key, keyPos: at, value: makeScalar(at, value) }));
  // When a value is refused, the defaults stand in, so uses of the parameters are not reported too.
  return (
    bindArguments(specs, args, at, 'parameters', 'the pipeline', errors) ??
    bindArguments(specs, [], at, 'parameters', 'the pipeline', new ErrorCollector()) ??
    new Map()
  );
}
