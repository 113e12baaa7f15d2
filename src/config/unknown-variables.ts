/**
 * Warnings for `GYRE_` variables that no setting reads. They are usually typos, so they warn
 * (with the closest setting name) instead of failing.
 */
import { metaOf, secretSettingNames, settingNames } from './schema.js';

/** `GYRE_` variables that Gyre reads but that are not settings of an installation. */
const NON_SETTING_VARIABLES: ReadonlySet<string> = new Set(['GYRE_DEBUG']);

const FILE_SUFFIX = '_FILE';

/** Returns one warning per `GYRE_` variable that is not a setting, in the order given. */
export function findUnknownVariables(values: Readonly<Record<string, string | undefined>>): string[] {
  const known = new Set<string>([
    ...settingNames,
    ...secretSettingNames.map((n) => `${n}${FILE_SUFFIX}`),
    ...NON_SETTING_VARIABLES,
  ]);
  return Object.keys(values)
    .filter((key) => key.startsWith('GYRE_') && !known.has(key))
    .map(describeUnknown);
}

function describeUnknown(key: string): string {
  const base = key.endsWith(FILE_SUFFIX) ? key.slice(0, -FILE_SUFFIX.length) : undefined;
  const setting = settingNames.find((name) => name === base);
  if (setting && !metaOf(setting).secret) {
    return `${key} is ignored: only secrets can be read from a file, and ${setting} is not one; set ${setting} directly`;
  }
  const guess = closestName(key);
  return `${key} is not a Gyre setting and is ignored${guess ? `; did you mean ${guess}?` : ''}`;
}

function closestName(key: string): string | undefined {
  const candidates = [...settingNames, ...secretSettingNames.map((n) => `${n}${FILE_SUFFIX}`)];
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = editDistance(key, name);
    if (distance <= 3 && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
