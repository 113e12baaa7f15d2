/**
 * `<< parameters.x >>`, `<< pipeline.parameters.x >>` and `<< pipeline.git.branch >>`-style
 * substitution, done on the node tree so substituted values keep their types (a steps parameter
 * splices its steps into a list, `<< pipeline.number >>` is a number) and their positions (an
 * error in an argument points at the argument).
 *
 * The `<< pipeline.* >>` values are known only once a pipeline exists. Parsed without them (to
 * check a config), they stay in place as text.
 */
import type { ErrorCollector } from './errors.js';
import type { ParameterValues } from './parameters.js';
import { makeScalar, type YEntry, type YNode, type YScalar } from './yaml-node.js';

/** The `<< pipeline.* >>` values a pipeline fills in. */
export const PIPELINE_VALUES = [
  'pipeline.id',
  'pipeline.number',
  'pipeline.project.git_url',
  'pipeline.project.type',
  'pipeline.git.tag',
  'pipeline.git.branch',
  'pipeline.git.revision',
  'pipeline.git.base_revision',
  'pipeline.trigger_source',
  'pipeline.schedule.name',
  'pipeline.schedule.id',
] as const;

/** A pipeline's values, by name: `pipeline.number` is a number, the others are strings. */
export type PipelineValues = Readonly<Partial<Record<(typeof PIPELINE_VALUES)[number], string | number>>>;

/** What `<< parameters.x >>` and `<< pipeline.parameters.x >>` resolve to, and who owns them. */
export interface SubstitutionScope {
  /** Values of the enclosing job, command or executor; `undefined` outside one. */
  readonly parameters?: ParameterValues;
  /** What the message calls the owner, e.g. `job "build"`. */
  readonly owner: string;
  readonly pipelineParameters: ParameterValues;
  /** @default none: `<< pipeline.* >>` values stay as written */
  readonly pipelineValues?: PipelineValues;
  /** One instance's `<< matrix.x >>` values, in the options of a workflow job with `matrix:` (matrix.ts). */
  readonly matrix?: ParameterValues;
}

// `\<<` is a literal `<<`, never a reference: `circleci orb pack` escapes every `<<` of an
// included script so, and configs write `cat \<<EOF` the same way. The escape is removed from the
// finished model (unescapeLiterals), once, wherever a value travelled.
const REFERENCE = /(?<!\\)<<\s*((?:parameters|pipeline|matrix)\.[A-Za-z0-9_.-]+?)\s*>>/g;

/** Returns a copy of `node` with every reference substituted; bad references are reported. */
export function substituteParameters(
  node: YNode,
  scope: SubstitutionScope,
  path: string,
  errors: ErrorCollector,
): YNode {
  if (node.kind === 'map') {
    const entries: YEntry[] = node.entries.map((e) => ({
      ...e,
      value: substituteParameters(e.value, scope, path === '' ? e.key : `${path}.${e.key}`, errors),
    }));
    return { ...node, entries };
  }
  if (node.kind === 'seq') {
    const items = node.items.flatMap((item, i) => {
      const result = substituteParameters(item, scope, `${path}[${i}]`, errors);
      // A steps parameter used as a list item stands for all of its steps.
      return item.kind === 'scalar' && result.kind === 'seq' ? result.items : [result];
    });
    return { ...node, items };
  }
  return typeof node.value === 'string' ? substituteScalar(node, node.value, scope, path, errors) : node;
}

function substituteScalar(
  node: YScalar,
  text: string,
  scope: SubstitutionScope,
  path: string,
  errors: ErrorCollector,
): YNode {
  const whole = /^\s*<<\s*([A-Za-z0-9_.-]+?)\s*>>\s*$/.exec(text);
  if (whole?.[1] !== undefined) {
    const value = lookUp(whole[1], node, scope, path, errors);
    if (value !== undefined) return value;
  }
  let changed = false;
  const replaced = text.replace(REFERENCE, (match: string, name: string) => {
    const value = whole ? undefined : lookUp(name, node, scope, path, errors);
    if (value === undefined) return match;
    if (value.kind !== 'scalar') {
      errors.add(node.pos, path, `<< ${name} >> holds a list or map and must be the whole value, not part of a string`);
      return match;
    }
    changed = true;
    return typeof value.value === 'string' ? value.value : value.text;
  });
  return changed ? { kind: 'scalar', pos: node.pos, value: replaced, text: replaced } : node;
}

function lookUp(
  name: string,
  node: YScalar,
  scope: SubstitutionScope,
  path: string,
  errors: ErrorCollector,
): YNode | undefined {
  if (name.startsWith('parameters.'))
    return lookUpIn(scope.parameters, name, 'parameters.', scope.owner, node, path, errors);
  if (name.startsWith('pipeline.parameters.'))
    return lookUpIn(scope.pipelineParameters, name, 'pipeline.parameters.', 'the pipeline', node, path, errors);
  if (name.startsWith('matrix.')) {
    if (scope.matrix) return lookUpIn(scope.matrix, name, 'matrix.', 'the matrix', node, path, errors);
    errors.add(
      node.pos,
      path,
      `<< ${name} >> can only be used in the options of a workflow job with \`matrix:\`; inside a job, use << parameters.${name.slice('matrix.'.length)} >>`,
    );
  } else if (isPipelineValue(name)) {
    const value = scope.pipelineValues?.[name];
    return value === undefined ? undefined : makeScalar(node.pos, value);
  } else if (name.startsWith('pipeline.')) {
    errors.add(
      node.pos,
      path,
      `unknown pipeline value << ${name} >>; known: ${PIPELINE_VALUES.join(', ')}, pipeline.parameters.<name>`,
    );
  }
  return undefined;
}

function lookUpIn(
  values: ParameterValues | undefined,
  name: string,
  prefix: string,
  owner: string,
  node: YScalar,
  path: string,
  errors: ErrorCollector,
): YNode | undefined {
  const value = values?.get(name.slice(prefix.length));
  if (value !== undefined) return value;
  const known =
    values && values.size > 0
      ? `; ${owner} declares: ${[...values.keys()].join(', ')}`
      : `; ${owner} declares no parameters`;
  errors.add(
    node.pos,
    path,
    `unknown parameter << ${name} >>${values ? known : ': parameters can only be used inside a job, command or executor'}`,
  );
  return undefined;
}

function isPipelineValue(name: string): name is (typeof PIPELINE_VALUES)[number] {
  return (PIPELINE_VALUES as readonly string[]).includes(name);
}

/**
 * A 2.1 config's finished model with every `\<<` turned into the literal `<<` it stands for. Done
 * once at the end, because a value (a default, a matrix value, an argument) may be placed whole
 * into another node and is never substituted itself.
 */
export function unescapeLiterals<T>(value: T): T {
  if (typeof value === 'string') return value.replaceAll('\\<<', '<<') as T;
  if (Array.isArray(value)) return value.map((item: unknown) => unescapeLiterals(item)) as T;
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, unescapeLiterals(item)])) as T;
  return value;
}
