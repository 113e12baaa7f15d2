/**
 * A plain, position-carrying view of a YAML document. Validation walks this instead of yaml's
 * own nodes so that aliases and merge keys are already resolved and every node knows its
 * 1-based line and column.
 */
import type { Position } from './errors.js';

/** A scalar value with the text it was written as (`1.10` stays `1.10`, not `1.1`). */
export interface YScalar {
  readonly kind: 'scalar';
  readonly pos: Position;
  readonly value: string | number | boolean | null;
  /** The source text of the scalar, or its value as a string when it has no source. */
  readonly text: string;
}

/** One key of a map, with where the key itself was written. */
export interface YEntry {
  readonly key: string;
  readonly keyPos: Position;
  readonly value: YNode;
}

/** A mapping, keys in document order. */
export interface YMap {
  readonly kind: 'map';
  readonly pos: Position;
  readonly entries: readonly YEntry[];
}

/** A sequence. */
export interface YSeq {
  readonly kind: 'seq';
  readonly pos: Position;
  readonly items: readonly YNode[];
}

/** Any node of the document. */
export type YNode = YScalar | YMap | YSeq;

/** Finds the entry for `key` in a map. */
export function findEntry(map: YMap, key: string): YEntry | undefined {
  return map.entries.find((entry) => entry.key === key);
}

/** The value of `key` in a map, if present. */
export function getValue(map: YMap, key: string): YNode | undefined {
  return findEntry(map, key)?.value;
}

/** Describes a node's kind for messages such as "expected a map, got a list". */
export function describeNode(node: YNode): string {
  if (node.kind === 'map') return 'a map';
  if (node.kind === 'seq') return 'a list';
  if (node.value === null) return 'nothing (null)';
  return `${typeof node.value === 'string' ? 'the string' : `the ${typeof node.value}`} ${JSON.stringify(node.value)}`;
}

/** A scalar made by Gyre rather than read from the file (a default value, a substitution result). */
export function makeScalar(pos: Position, value: string | number | boolean | null): YScalar {
  return { kind: 'scalar', pos, value, text: value === null ? '' : String(value) };
}

/**
 * A copy of `node` whose positions (and its keys') say they belong to an orb: `place.scope` is
 * where names in it resolve, `place.orb` the imported orb's text they are in. Nodes shared
 * through YAML aliases stay shared, so the copy is no larger than the original.
 */
export function placeInOrb(node: YNode, place: Pick<Position, 'scope' | 'orb'>): YNode {
  const copies = new Map<YNode, YNode>();
  const at = (pos: Position): Position => ({ ...pos, ...place });
  const copy = (original: YNode): YNode => {
    const done = copies.get(original);
    if (done) return done;
    const made: YNode =
      original.kind === 'map'
        ? {
            ...original,
            pos: at(original.pos),
            entries: original.entries.map((e) => ({ key: e.key, keyPos: at(e.keyPos), value: copy(e.value) })),
          }
        : original.kind === 'seq'
          ? { ...original, pos: at(original.pos), items: original.items.map(copy) }
          : { ...original, pos: at(original.pos) };
    copies.set(original, made);
    return made;
  };
  return copy(node);
}

/** How many distinct nodes `node` holds; a node shared through YAML aliases counts once. */
export function countNodes(node: YNode): number {
  const seen = new Set<YNode>();
  const walk = (n: YNode): void => {
    if (seen.has(n)) return;
    seen.add(n);
    if (n.kind === 'map') for (const e of n.entries) walk(e.value);
    else if (n.kind === 'seq') for (const item of n.items) walk(item);
  };
  walk(node);
  return seen.size;
}
