/**
 * Parameter declarations (`parameters:` on jobs, commands, executors and the pipeline) and the
 * binding of arguments to them at an invocation.
 */
import { childPath, type ErrorCollector, type Position } from './errors.js';
import { checkKeys, expectMap, readString } from './read-node.js';
import { describeNode, getValue, type YEntry, type YNode } from './yaml-node.js';

export const PARAMETER_KEYS = ['type', 'default', 'description', 'enum'];

/** Parameter types CircleCI 2.1 defines and Gyre supports. */
export const PARAMETER_TYPES = ['string', 'boolean', 'integer', 'enum', 'steps', 'executor', 'env_var_name'] as const;
/** One of {@link PARAMETER_TYPES}. */
export type ParameterType = (typeof PARAMETER_TYPES)[number];

/** A declared parameter. */
export interface ParameterSpec {
  readonly name: string;
  readonly type: ParameterType;
  /** Absent when the parameter is required. */
  readonly default?: YNode;
  /** Allowed values of an `enum` parameter. */
  readonly enum?: readonly string[];
}

/** Declared parameters by name. */
export type ParameterSpecs = ReadonlyMap<string, ParameterSpec>;
/** Parameter values by name, as nodes so steps and executors keep their structure. */
export type ParameterValues = ReadonlyMap<string, YNode>;

/** Reads a `parameters:` declaration block; invalid declarations are reported and left out. */
export function readParameterSpecs(node: YNode | undefined, path: string, errors: ErrorCollector): ParameterSpecs {
  const specs = new Map<string, ParameterSpec>();
  const map = node === undefined ? undefined : expectMap(node, path, errors, 'a map of parameter declarations');
  for (const entry of map?.entries ?? []) {
    const spec = readParameterSpec(entry, childPath(path, entry.key), errors);
    if (spec) specs.set(entry.key, spec);
  }
  return specs;
}

function readParameterSpec(entry: YEntry, path: string, errors: ErrorCollector): ParameterSpec | undefined {
  if (!/^[A-Za-z][\w-]*$/.test(entry.key))
    errors.add(entry.keyPos, path, `"${entry.key}" is not a valid parameter name; use letters, digits, _ and -`);
  const decl = expectMap(entry.value, path, errors, 'a parameter declaration with at least `type`');
  if (!decl) return undefined;
  checkKeys(decl, path, PARAMETER_KEYS, errors, 'a parameter declaration');
  const typeNode = getValue(decl, 'type');
  if (!typeNode) {
    errors.add(decl.pos, path, `parameter "${entry.key}" needs a type: one of ${PARAMETER_TYPES.join(', ')}`);
    return undefined;
  }
  const type = readString(typeNode, childPath(path, 'type'), errors);
  if (type === undefined) return undefined;
  if (!isParameterType(type)) {
    errors.add(
      typeNode.pos,
      childPath(path, 'type'),
      `unknown parameter type "${type}"; expected one of: ${PARAMETER_TYPES.join(', ')}`,
    );
    return undefined;
  }
  const spec: ParameterSpec = {
    name: entry.key,
    type,
    default: getValue(decl, 'default'),
    enum: readEnumValues(decl.entries, type, path, errors),
  };
  if (type === 'enum' && spec.enum === undefined) return undefined;
  if (spec.default !== undefined && !checkParameterValue(spec, spec.default, childPath(path, 'default'), errors))
    return undefined;
  return spec;
}

function isParameterType(type: string): type is ParameterType {
  return (PARAMETER_TYPES as readonly string[]).includes(type);
}

function readEnumValues(
  entries: readonly YEntry[],
  type: ParameterType,
  path: string,
  errors: ErrorCollector,
): string[] | undefined {
  const node = entries.find((e) => e.key === 'enum')?.value;
  if (type !== 'enum') return undefined;
  if (node?.kind !== 'seq' || node.items.length === 0) {
    errors.add(
      node?.pos ?? entries[0]?.keyPos ?? { line: 1, column: 1 },
      childPath(path, 'enum'),
      'an enum parameter needs `enum:` with a non-empty list of allowed strings',
    );
    return undefined;
  }
  const values = node.items.map((item, i) => readString(item, `${path}.enum[${i}]`, errors));
  return values.every((v) => v !== undefined) ? values : undefined;
}

/** Checks that `value` fits the parameter's type; reports and returns false when it does not. */
export function checkParameterValue(spec: ParameterSpec, value: YNode, path: string, errors: ErrorCollector): boolean {
  const problem = describeMismatch(spec, value);
  if (problem !== undefined) errors.add(value.pos, path, `parameter "${spec.name}" ${problem}`);
  return problem === undefined;
}

function describeMismatch(spec: ParameterSpec, value: YNode): string | undefined {
  const got = describeNode(value);
  const scalar = value.kind === 'scalar' ? value.value : undefined;
  switch (spec.type) {
    case 'string':
      return value.kind === 'scalar' && scalar !== null ? undefined : `is a string, got ${got}`;
    case 'boolean':
      return typeof scalar === 'boolean' ? undefined : `is a boolean (true or false), got ${got}`;
    case 'integer':
      return typeof scalar === 'number' && Number.isInteger(scalar) ? undefined : `is an integer, got ${got}`;
    case 'enum':
      return typeof scalar === 'string' && (spec.enum ?? []).includes(scalar)
        ? undefined
        : `must be one of ${(spec.enum ?? []).join(', ')}, got ${got}`;
    case 'steps':
      return value.kind === 'seq' ? undefined : `is a list of steps, got ${got}`;
    case 'executor':
      return typeof scalar === 'string' || value.kind === 'map'
        ? undefined
        : `is an executor name or a map with \`name\`, got ${got}`;
    case 'env_var_name':
      return typeof scalar === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(scalar)
        ? undefined
        : `is an environment variable name, got ${got}`;
  }
}

/**
 * Binds the arguments of an invocation to the declared parameters: unknown arguments, missing
 * required ones and wrongly typed values are all reported. Returns `undefined` if any failed.
 */
export function bindArguments(
  specs: ParameterSpecs,
  args: readonly YEntry[],
  at: Position,
  path: string,
  owner: string,
  errors: ErrorCollector,
): ParameterValues | undefined {
  const values = new Map<string, YNode>();
  let ok = true;
  for (const arg of args) {
    const spec = specs.get(arg.key);
    if (!spec) {
      const declared =
        specs.size === 0 ? `${owner} declares no parameters` : `${owner} declares: ${[...specs.keys()].join(', ')}`;
      errors.add(arg.keyPos, childPath(path, arg.key), `unknown parameter "${arg.key}"; ${declared}`);
      ok = false;
    } else if (checkParameterValue(spec, arg.value, childPath(path, arg.key), errors)) values.set(arg.key, arg.value);
    else ok = false;
  }
  for (const spec of specs.values()) {
    if (values.has(spec.name) || args.some((a) => a.key === spec.name)) continue;
    if (spec.default !== undefined) values.set(spec.name, spec.default);
    else {
      errors.add(at, path, `${owner} needs a value for parameter "${spec.name}" (${spec.type}), which has no default`);
      ok = false;
    }
  }
  return ok ? values : undefined;
}
