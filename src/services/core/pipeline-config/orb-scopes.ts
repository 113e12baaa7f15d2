/**
 * Names across orbs. An orb's commands, jobs and executors are kept in the same maps as the
 * config's own, under keys prefixed with the orb's alias path: `node/install-packages`, and
 * `node/os-detect/init` for an orb that `node` depends on. A name is resolved in the scope of the
 * node it is written in (`Position.scope`), so a value keeps its meaning wherever a parameter
 * carries it: a bare name in an orb means the orb's own element, `alias/element` an element of an
 * orb declared under the `orbs:` of the config or orb the name is written in.
 */
import type { Position } from './errors.js';

/**
 * For each scope (`''` for the config itself), its orb aliases and the scope each one opens;
 * `null` for an orb that could not be read, which was reported where it is declared.
 */
export type OrbScopes = ReadonlyMap<string, ReadonlyMap<string, string | null>>;

/**
 * The key `name` (written at `at`) stands for, or why it stands for none; `reported` when it
 * names an element of an orb that could not be read, so each use is not reported again.
 */
export type Resolved = { readonly key: string } | { readonly problem: string } | { readonly reported: true };

/** Resolves `name`, written at `at`, to a definition key. */
export function resolveName(name: string, at: Position, scopes: OrbScopes): Resolved {
  const scope = at.scope ?? '';
  const slash = name.indexOf('/');
  if (slash < 0) return { key: scope === '' ? name : `${scope}/${name}` };
  const alias = name.slice(0, slash);
  const element = name.slice(slash + 1);
  const aliases = scopes.get(scope);
  const target = aliases?.get(alias);
  if (target === null) return { reported: true };
  if (target === undefined) {
    const declared = aliases && aliases.size > 0 ? `declared: ${[...aliases.keys()].join(', ')}` : 'none is declared';
    return { problem: `"${name}" names no orb "${alias}" under \`orbs:\` (${declared})` };
  }
  if (element === '' || element.includes('/'))
    return { problem: `"${name}" is not an orb element; write \`${alias}/<element>\`, as in \`${alias}/install\`` };
  return { key: `${target}/${element}` };
}

/** The keys of `keys` that can be named from the scope of `at`, as they are named there. */
export function visibleNames(keys: Iterable<string>, at: Position, scopes: OrbScopes): string[] {
  const scope = at.scope ?? '';
  const prefixes: [string, string][] = [
    [scope === '' ? '' : `${scope}/`, ''],
    ...[...(scopes.get(scope) ?? new Map<string, string | null>())]
      .filter((entry): entry is [string, string] => entry[1] !== null)
      .map(([alias, target]): [string, string] => [`${target}/`, `${alias}/`]),
  ];
  const names: string[] = [];
  for (const key of keys) {
    for (const [prefix, shown] of prefixes) {
      const rest = key.startsWith(prefix) ? key.slice(prefix.length) : undefined;
      if (rest !== undefined && rest !== '' && !rest.includes('/')) names.push(shown + rest);
    }
  }
  return names;
}
