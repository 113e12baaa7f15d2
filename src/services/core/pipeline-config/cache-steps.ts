/**
 * `save_cache` and `restore_cache`, with CircleCI's options and defaults. Keys stay templates
 * (the builder renders them), but they are parsed here, so a bad template is a config error at
 * its line instead of a failed step.
 */
import { parseKeyTemplate } from '../../../shared/cache-key-template.js';
import type { ErrorCollector } from './errors.js';
import type { RestoreCacheStep, SaveCacheStep } from './model.js';
import { readNonEmptyString } from './read-node.js';
import {
  optionalOption,
  readPathList,
  readStepOptions,
  readWhen,
  requiredOption,
  RUNS_ON_SUCCESS,
  type StepShape,
} from './step-options.js';
import { describeNode, type YEntry, type YNode } from './yaml-node.js';

const KEY_EXAMPLE = 'v1-deps-{{ checksum "package-lock.json" }}';
export const SAVE_CACHE_KEYS = ['key', 'paths', 'name', 'when'] as const;
export const RESTORE_CACHE_KEYS = ['key', 'keys', 'name'] as const;

/** Reads `save_cache` (or the older `save-cache`). */
export function readSaveCache(entry: YEntry, path: string, errors: ErrorCollector): SaveCacheStep | undefined {
  const shape: StepShape = {
    step: entry.key,
    keys: SAVE_CACHE_KEYS,
    example: `${entry.key}: { key: ${KEY_EXAMPLE}, paths: [node_modules] }`,
  };
  const before = errors.count;
  const map = readStepOptions(entry, path, shape, errors);
  if (!map) return undefined;
  const key = requiredOption(
    map,
    'key',
    path,
    shape,
    readCacheKey,
    `the cache's name, as in \`key: ${KEY_EXAMPLE}\``,
    errors,
  );
  const paths = requiredOption(
    map,
    'paths',
    path,
    shape,
    readPathList,
    'the directories to save, as in `paths: [node_modules]`',
    errors,
  );
  const name = optionalOption(map, 'name', path, readNonEmptyString, errors) ?? 'Saving Cache';
  const when = optionalOption(map, 'when', path, readWhen, errors) ?? 'on_success';
  if (key === undefined || paths === undefined || errors.count !== before) return undefined;
  return { type: 'save_cache', name, when, key, paths };
}

/** Reads `restore_cache` (or the older `restore-cache`): `key`, `keys` or both, `key` tried first as CircleCI does. */
export function readRestoreCache(entry: YEntry, path: string, errors: ErrorCollector): RestoreCacheStep | undefined {
  const shape: StepShape = {
    step: entry.key,
    keys: RESTORE_CACHE_KEYS,
    example: `${entry.key}: { keys: [${KEY_EXAMPLE}, v1-deps-] }`,
    noWhen: RUNS_ON_SUCCESS,
  };
  const before = errors.count;
  const map = readStepOptions(entry, path, shape, errors);
  if (!map) return undefined;
  const key = optionalOption(map, 'key', path, readCacheKey, errors);
  const keys = optionalOption(map, 'keys', path, readCacheKeys, errors);
  if (!map.entries.some((e) => e.key === 'key' || e.key === 'keys')) {
    errors.add(
      map.pos,
      path,
      `${entry.key} needs \`keys\`: the cache keys to try in order, as in \`keys: [${KEY_EXAMPLE}, v1-deps-]\` (or one \`key\`)`,
    );
  }
  const name = optionalOption(map, 'name', path, readNonEmptyString, errors) ?? 'Restoring Cache';
  if (errors.count !== before) return undefined;
  return {
    type: 'restore_cache',
    name,
    when: 'on_success',
    keys: [...(key === undefined ? [] : [key]), ...(keys ?? [])],
  };
}

/** A cache key: a non-empty string whose `{{ }}` templates parse. */
function readCacheKey(node: YNode, path: string, errors: ErrorCollector): string | undefined {
  const key = readNonEmptyString(node, path, errors);
  if (key === undefined) return undefined;
  const parsed = parseKeyTemplate(key);
  if (parsed.ok) return key;
  for (const problem of parsed.problems) errors.add(node.pos, path, `bad cache key template: ${problem}`);
  return undefined;
}

function readCacheKeys(node: YNode, path: string, errors: ErrorCollector): string[] | undefined {
  if (node.kind !== 'seq') {
    errors.add(
      node.pos,
      path,
      `expected a list of cache keys, as in \`[${KEY_EXAMPLE}, v1-deps-]\`, got ${describeNode(node)}`,
    );
    return undefined;
  }
  if (node.items.length === 0) {
    errors.add(node.pos, path, 'the list of keys is empty; give at least one cache key');
    return undefined;
  }
  const keys = node.items.map((item, i) => readCacheKey(item, `${path}[${i}]`, errors));
  return keys.every((k) => k !== undefined) ? keys : undefined;
}
