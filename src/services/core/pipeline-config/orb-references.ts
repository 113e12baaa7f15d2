/**
 * The orb references a config (or an orb) writes under `orbs:`, inline orbs' included, so the
 * planner can fetch them from the orb store before parsing, which stays pure. An imported orb's
 * own references are found by calling this on its text in turn.
 */
import { MAX_ORB_DEPTH } from './orbs.js';
import { parseYamlWithPositions } from './parse-yaml-with-positions.js';
import { getValue, type YNode } from './yaml-node.js';

/** Every `namespace/name@version` written under `orbs:` in `text`, once each, in file order. */
export function orbReferencesIn(text: string): string[] {
  const parsed = parseYamlWithPositions(text);
  const found = new Set<string>();
  // Only maps are read: anything else is reported by the parser itself.
  const walk = (body: YNode | undefined, depth: number): void => {
    const orbs = body?.kind === 'map' ? getValue(body, 'orbs') : undefined;
    if (orbs?.kind !== 'map' || depth > MAX_ORB_DEPTH) return;
    for (const { value } of orbs.entries) {
      if (value.kind === 'scalar' && typeof value.value === 'string') found.add(value.value);
      else walk(value, depth + 1);
    }
  };
  if (parsed.ok) walk(parsed.root, 0);
  return [...found];
}
