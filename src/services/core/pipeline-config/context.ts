/** What every validation stage needs to know about the config as a whole. */
import type { ErrorCollector, Position } from './errors.js';
import { substituteParameters, type PipelineValues } from './expand-parameters.js';
import type { ConfigVersion, ResourceClassTable } from './model.js';
import type { OrbScopes } from './orb-scopes.js';
import type { ParameterSpecs, ParameterValues } from './parameters.js';
import type { YMap, YNode } from './yaml-node.js';

/**
 * Where a block of definitions (`commands:`, `executors:`, `jobs:`) is written: its path, and for
 * an orb's, the scope its names are keyed under (orb-scopes.ts).
 */
export interface DefinitionPlace {
  readonly path: string;
  readonly scope?: string;
}

/** The key of definition `name` written at `place`; `/` is refused in names, as it separates an orb from its elements. */
export function definitionKey(place: DefinitionPlace, name: string): string {
  return place.scope === undefined ? name : `${place.scope}/${name}`;
}

/** Reports a definition name that contains `/`; true when the name is usable. */
export function checkDefinitionName(name: string, at: Position, path: string, errors: ErrorCollector): boolean {
  if (!name.includes('/')) return true;
  errors.add(
    at,
    path,
    `"${name}" cannot be a name: \`/\` separates an orb from its elements (\`node/install\`); rename it`,
  );
  return false;
}

/** A reusable command under `commands:`. */
export interface CommandDefinition {
  readonly name: string;
  readonly parameters: ParameterSpecs;
  readonly steps: YNode;
  readonly path: string;
}

/** A reusable executor under `executors:`. */
export interface ExecutorDefinition {
  readonly name: string;
  readonly parameters: ParameterSpecs;
  readonly body: YMap;
  readonly path: string;
}

/** A job definition under `jobs:`, before any invocation's arguments are applied. */
export interface JobDefinition {
  readonly name: string;
  readonly parameters: ParameterSpecs;
  readonly body: YMap;
  readonly path: string;
}

/** Shared state of one parse. */
export interface ConfigContext {
  readonly errors: ErrorCollector;
  readonly version: ConfigVersion;
  readonly commands: ReadonlyMap<string, CommandDefinition>;
  readonly executors: ReadonlyMap<string, ExecutorDefinition>;
  readonly resourceClasses: ResourceClassTable;
  readonly pipelineParameters: ParameterValues;
  /** The orbs' aliases in each scope, by which names in orbs and the config are resolved. */
  readonly orbScopes: OrbScopes;
  /** The pipeline's `<< pipeline.* >>` values; without them they stay as written. */
  readonly pipelineValues?: PipelineValues;
}

/**
 * Substitutes parameters in a 2.1 config; version 2 has no parameters, so its text stays literal.
 * `parameters` are those of the enclosing job, command or executor; none outside one. `matrix`
 * is one matrix instance's values, in the options of the workflow job that declares it.
 */
export function substituteIn(
  ctx: ConfigContext,
  node: YNode,
  parameters: ParameterValues | undefined,
  owner: string,
  path: string,
  matrix?: ParameterValues,
): YNode {
  if (ctx.version === '2') return node;
  return substituteParameters(
    node,
    {
      ...(parameters && { parameters }),
      ...(matrix && { matrix }),
      owner,
      pipelineParameters: ctx.pipelineParameters,
      ...(ctx.pipelineValues && { pipelineValues: ctx.pipelineValues }),
    },
    path,
    ctx.errors,
  );
}
