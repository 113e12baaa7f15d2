/**
 * `orbs:`: inline orbs written in the config, and orbs imported into the installation's orb store
 * (the public registry is out of reach behind a firewall). Their commands, executors and jobs are
 * read into the config's own maps under their alias path (orb-scopes.ts), and every node of an
 * orb is placed in its scope, so names inside it resolve as CircleCI resolves them.
 */
import { readCommandDefinitions } from './commands.js';
import type { CommandDefinition, ExecutorDefinition, JobDefinition } from './context.js';
import { childPath, DOCUMENT_START, ErrorCollector, type ConfigError, type Position } from './errors.js';
import type { OrbScopes } from './orb-scopes.js';
import { parseOrbReference } from './orb-reference.js';
import { MAX_EXPANDED_NODES, parseYamlWithPositions, type YamlParseResult } from './parse-yaml-with-positions.js';
import { checkKeys, expectMap } from './read-node.js';
import { readExecutorDefinitions } from './resolve-executors.js';
import { readJobMap } from './validate-jobs.js';
import { countNodes, describeNode, getValue, makeScalar, placeInOrb, type YNode } from './yaml-node.js';

/** Keys of an orb, inline or packed (what `circleci orb pack` writes). */
export const ORB_KEYS = ['version', 'description', 'display', 'orbs', 'commands', 'executors', 'jobs', 'examples'];

/** An orb the installation's store holds, as the parser is given it. */
export interface ImportedOrb {
  /** The exact reference it was found under, `namespace/name@1.2.3`. */
  readonly ref: string;
  /** Its packed YAML. */
  readonly yaml: string;
}

/**
 * The orbs a pipeline may use, by the reference a config or orb writes (`circleci/node@7.2` may
 * stand for the store's `circleci/node@7.2.1`). The caller finds them first (orb-references.ts).
 */
export type OrbLibrary = ReadonlyMap<string, ImportedOrb>;

/** How deep orbs may depend on orbs; real ones go one or two levels. orb-references.ts reads as deep. */
export const MAX_ORB_DEPTH = 8;
/**
 * How many orbs one config may read, each alias of each orb counted (real configs use a handful).
 * With the node budget below, it bounds the work a config, a fork's included, makes the services do.
 */
export const MAX_ORB_INSTANCES = 32;
/** How many YAML nodes all the orbs a config reads may hold together, as MAX_EXPANDED_NODES bounds a config. */
export const MAX_ORB_NODES = MAX_EXPANDED_NODES;

/** Every orb's definitions, keyed by alias path, and the aliases of each scope. */
export interface OrbDefinitions {
  readonly commands: Map<string, CommandDefinition>;
  readonly executors: Map<string, ExecutorDefinition>;
  readonly jobs: Map<string, JobDefinition>;
  readonly scopes: Map<string, ReadonlyMap<string, string | null>> & OrbScopes;
}

function noDefinitions(): OrbDefinitions {
  return { commands: new Map(), executors: new Map(), jobs: new Map(), scopes: new Map() };
}

/** Reads the config's `orbs:` and, through them, every orb they depend on. */
export function readOrbs(node: YNode | undefined, library: OrbLibrary, errors: ErrorCollector): OrbDefinitions {
  const found = noDefinitions();
  const reader = new OrbReader(library, errors, found);
  reader.readOrbMap(node, '', 'orbs', []);
  return found;
}

/**
 * Checks an orb before it is imported as `ref`: its YAML, its keys, the shape of its commands,
 * executors and jobs, and that the orbs it depends on are in `library` (imported first). Element
 * bodies are checked where configs use them, so one element Gyre cannot run (a macOS job, say)
 * does not keep the rest of the orb out.
 */
export function checkOrb(ref: string, yaml: string, library: OrbLibrary): ConfigError[] {
  const errors = new ErrorCollector();
  const found = noDefinitions();
  const entry = { key: 'orb', keyPos: DOCUMENT_START, value: makeScalar(DOCUMENT_START, ref) };
  const withItself = new Map([...library, [ref, { ref, yaml }]]);
  new OrbReader(withItself, errors, found).readOrbMap(
    { kind: 'map', pos: DOCUMENT_START, entries: [entry] },
    '',
    '',
    [],
  );
  return errors.list();
}

class OrbReader {
  #instances = 0;
  #nodes = 0;
  /** Each imported orb's text is parsed once, however many aliases name it. */
  readonly #parsed = new Map<string, YamlParseResult>();

  constructor(
    private readonly library: OrbLibrary,
    private readonly errors: ErrorCollector,
    private readonly found: OrbDefinitions,
  ) {}

  /** An `orbs:` map written in `scope` (`''` for the config); `chain` lists the imported orbs above it. */
  readOrbMap(node: YNode | undefined, scope: string, path: string, chain: readonly string[]): void {
    const aliases = new Map<string, string | null>();
    this.found.scopes.set(scope, aliases);
    if (node === undefined) return;
    const map = expectMap(node, path, this.errors, 'a map of orb aliases to `namespace/name@version` or inline orbs');
    for (const entry of map?.entries ?? []) {
      const aliasPath = childPath(path, entry.key);
      if (entry.key.includes('/')) {
        this.errors.add(entry.keyPos, aliasPath, `orb alias "${entry.key}" cannot contain \`/\`; rename it`);
        continue;
      }
      const target = scope === '' ? entry.key : `${scope}/${entry.key}`;
      aliases.set(entry.key, this.readAliased(entry.value, entry.keyPos, target, aliasPath, chain) ? target : null);
    }
  }

  /** The orb one alias stands for; false once a reason it cannot be used was reported. */
  private readAliased(value: YNode, keyAt: Position, target: string, path: string, chain: readonly string[]): boolean {
    if (chain.length >= MAX_ORB_DEPTH) {
      this.errors.add(keyAt, path, `orbs depend on orbs more than ${MAX_ORB_DEPTH} levels deep here`);
      return false;
    }
    if (++this.#instances > MAX_ORB_INSTANCES) {
      // Said once, at the first orb over the limit.
      if (this.#instances === MAX_ORB_INSTANCES + 1)
        this.errors.add(
          keyAt,
          path,
          `the config reads more than ${MAX_ORB_INSTANCES} orbs, counting the orbs each orb uses; use fewer aliases`,
        );
      return false;
    }
    if (value.kind === 'map')
      return (
        this.withinBudget(value, keyAt, path) && this.readOrb(placeInOrb(value, { scope: target }), target, path, chain)
      );
    if (value.kind === 'scalar' && typeof value.value === 'string')
      return this.importOrb(value.value, value.pos, target, path, chain);
    this.errors.add(
      value.pos,
      path,
      `expected an orb reference such as \`circleci/node@7.2.1\`, or an inline orb (a map with \`commands\`, \`jobs\` or \`executors\`), got ${describeNode(value)}`,
    );
    return false;
  }

  private importOrb(written: string, at: Position, scope: string, path: string, chain: readonly string[]): boolean {
    const reference = parseOrbReference(written);
    if ('problem' in reference) {
      this.errors.add(at, path, reference.problem);
      return false;
    }
    const orb = this.library.get(written);
    if (!orb) {
      const name = `${reference.namespace}/${reference.name}`;
      this.errors.add(
        at,
        path,
        `orb ${written} is not in this installation's orb store (Gyre cannot reach CircleCI's orb registry). An administrator imports it with \`gyre orbs import ${name}@<version> <packed.yml or orb source directory>\`, or under Orbs in the admin console`,
      );
      return false;
    }
    if (chain.includes(orb.ref)) {
      this.errors.add(at, path, `orb ${orb.ref} depends on itself: ${[...chain, orb.ref].join(' → ')}`);
      return false;
    }
    const parsed = this.parse(orb);
    if (!parsed.ok) {
      for (const e of parsed.errors) this.errors.add({ line: e.line, column: e.column, orb: orb.ref }, '', e.message);
      return false;
    }
    for (const e of parsed.yamlErrors) this.errors.add({ line: e.line, column: e.column, orb: orb.ref }, '', e.message);
    if (!this.withinBudget(parsed.root, at, path)) return false;
    return this.readOrb(placeInOrb(parsed.root, { scope, orb: orb.ref }), scope, '', [...chain, orb.ref]);
  }

  private parse(orb: ImportedOrb): YamlParseResult {
    const known = this.#parsed.get(orb.ref);
    if (known) return known;
    const parsed = parseYamlWithPositions(orb.yaml, `orb ${orb.ref}`);
    this.#parsed.set(orb.ref, parsed);
    return parsed;
  }

  /** Counts an orb's nodes against MAX_ORB_NODES before it is copied into its scope. */
  private withinBudget(node: YNode, at: Position, path: string): boolean {
    this.#nodes += countNodes(node);
    if (this.#nodes <= MAX_ORB_NODES) return true;
    this.errors.add(
      at,
      path,
      `the orbs this config reads hold more than ${MAX_ORB_NODES} YAML nodes together; use fewer orbs`,
    );
    return false;
  }

  /** One orb's body, its nodes already placed in `scope`; `path` is where it is written. */
  private readOrb(node: YNode, scope: string, path: string, chain: readonly string[]): boolean {
    const body = expectMap(node, path, this.errors, 'an orb: a map with `commands`, `jobs` or `executors`');
    if (!body) return false;
    checkKeys(body, path, ORB_KEYS, this.errors, 'an orb');
    this.readOrbMap(getValue(body, 'orbs'), scope, childPath(path, 'orbs'), chain);
    const place = (key: string) => ({ path: childPath(path, key), scope });
    for (const [key, def] of readCommandDefinitions(getValue(body, 'commands'), this.errors, place('commands')))
      this.found.commands.set(key, def);
    for (const [key, def] of readExecutorDefinitions(getValue(body, 'executors'), this.errors, place('executors')))
      this.found.executors.set(key, def);
    const jobs = getValue(body, 'jobs');
    const jobMap = jobs && expectMap(jobs, childPath(path, 'jobs'), this.errors, 'a map of job names to jobs');
    if (jobMap)
      for (const [key, def] of readJobMap(jobMap, place('jobs'), { errors: this.errors, version: '2.1' }))
        this.found.jobs.set(key, def);
    return true;
  }
}
