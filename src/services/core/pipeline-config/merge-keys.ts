/**
 * YAML 1.1 merge keys (`<<: *defaults`), which CircleCI 2.0 configs use widely. yaml 2 does not
 * apply them under the YAML 1.2 schema, so Gyre applies them on its own tree.
 */
import type { ConfigError } from './errors.js';
import type { YEntry, YNode } from './yaml-node.js';

/** Returns the entries a `<<` value contributes: one map, or a list of maps (earlier wins). */
export function resolveMergeKey(value: YNode, path: string, errors: ConfigError[]): YEntry[] {
  const sources = value.kind === 'seq' ? value.items : [value];
  const entries: YEntry[] = [];
  for (const source of sources) {
    if (source.kind === 'map') {
      entries.push(...source.entries);
      continue;
    }
    errors.push({
      line: source.pos.line,
      column: source.pos.column,
      path,
      message: 'a merge key `<<` takes a map (usually an alias such as *defaults) or a list of maps',
    });
  }
  return entries;
}
