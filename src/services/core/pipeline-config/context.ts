/** What every validation stage needs to know about the config as a whole. */
import type { ErrorCollector } from './errors.js';
import { substituteParameters, type PipelineValues } from './expand-parameters.js';
import type { ConfigVersion, ResourceClassTable } from './model.js';
import type { ParameterSpecs, ParameterValues } from './parameters.js';
import type { YMap, YNode } from './yaml-node.js';

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
