/** The top level of the config: `version`, which keys exist, and which need 2.1. */
import { DOCUMENT_START, type ErrorCollector } from './errors.js';
import type { ConfigVersion } from './model.js';
import { explainUnsupportedKey } from './unsupported.js';
import { describeNode, findEntry, type YMap } from './yaml-node.js';

export const TOP_LEVEL_KEYS = ['version', 'jobs', 'workflows', 'orbs', 'commands', 'executors', 'parameters', 'setup'];
const NEEDS_2_1 = ['orbs', 'commands', 'executors', 'parameters'];
// Keys people keep only to hold YAML anchors for `<<: *defaults`; CircleCI ignores them too.
const ANCHOR_HOLDERS = ['references', 'defaults', 'aliases', 'anchors'];

/**
 * Checks the top-level keys and returns the config version, or `undefined` if it is unusable.
 * Besides the usual anchor holders, any other top-level key whose value defines an `&anchor`
 * (`base: &base`, `_defaults: &defaults`) is ignored once its anchors are used, as CircleCI
 * ignores it; an unknown key holding no anchor is still reported, as it is usually a typo.
 */
export function readHeader(
  root: YMap,
  anchorHolders: ReadonlySet<string>,
  errors: ErrorCollector,
): ConfigVersion | undefined {
  for (const entry of root.entries) {
    if (TOP_LEVEL_KEYS.includes(entry.key) || isAnchorHolder(entry.key, anchorHolders)) continue;
    errors.add(
      entry.keyPos,
      entry.key,
      explainUnsupportedKey(entry.key, 'the config') ??
        `unknown top-level key "${entry.key}"; expected one of: ${TOP_LEVEL_KEYS.join(', ')}`,
    );
  }
  const setup = findEntry(root, 'setup');
  if (setup && !(setup.value.kind === 'scalar' && setup.value.value === false))
    errors.add(setup.keyPos, 'setup', explainUnsupportedKey('setup', 'the config') ?? '');
  const version = readVersion(root, errors);
  if (version === '2') {
    for (const key of NEEDS_2_1) {
      const entry = findEntry(root, key);
      if (entry) errors.add(entry.keyPos, key, `\`${key}\` needs \`version: 2.1\`; this config says version 2`);
    }
  }
  return version;
}

function isAnchorHolder(key: string, anchorHolders: ReadonlySet<string>): boolean {
  // A known refusal (orbs, setup, ...) stays refused even when it happens to hold an anchor.
  if (explainUnsupportedKey(key, 'the config') !== undefined) return false;
  return ANCHOR_HOLDERS.includes(key) || key.startsWith('x-') || anchorHolders.has(key);
}

function readVersion(root: YMap, errors: ErrorCollector): ConfigVersion | undefined {
  const entry = findEntry(root, 'version');
  if (!entry) {
    errors.add(
      root.pos.line > 0 ? root.pos : DOCUMENT_START,
      'version',
      'the config needs `version: 2.1` (or `version: 2`) at the top',
    );
    return undefined;
  }
  const { value } = entry;
  const text = value.kind === 'scalar' ? String(value.value) : undefined;
  if (text === '2' || text === '2.1') return text;
  errors.add(
    value.pos,
    'version',
    `unsupported version ${value.kind === 'scalar' ? value.text : describeNode(value)}; Gyre reads CircleCI config version 2 and 2.1`,
  );
  return undefined;
}
