/**
 * Turns environment variables (from a `.env` file or the process) into validated `Settings`.
 * It goes raw text → aliases and `_FILE` secrets → per-value parse → cross-field rules, and
 * collects every problem before reporting, so one run shows all that is wrong.
 */
import { InvalidInputError, type InputProblem } from '../shared/errors.js';
import { settingAliases } from './aliases.js';
import { checkRules, type SettingsPurpose } from './rules.js';
import { metaOf, rawSettingsSchema, settingNames, type RawSettings, type SettingName } from './schema.js';
import { toSettings, type Settings } from './settings.js';

export interface SettingsSource {
  /** Where the values came from, for messages: a `.env` path or "the environment". */
  readonly name: string;
  readonly values: Readonly<Record<string, string | undefined>>;
  /** Reads a secret from `NAME_FILE`. Injected so that this module does no I/O. */
  readonly readFile: (path: string) => string;
}

export interface SettingsCheck {
  /** Present only when there are no problems. */
  readonly settings?: Settings;
  readonly problems: readonly InputProblem[];
  readonly warnings: readonly string[];
}

/** Loads settings or throws one InvalidInputError that lists every problem. */
export function loadSettings(source: SettingsSource, purpose: SettingsPurpose): Settings {
  const check = checkSettings(source, purpose);
  if (!check.settings) throw new InvalidInputError(source.name, check.problems);
  return check.settings;
}

/** Validates settings and returns problems and warnings instead of throwing. */
export function checkSettings(source: SettingsSource, purpose: SettingsPurpose): SettingsCheck {
  const problems: InputProblem[] = [];
  const warnings = findUnknownVariables(source.values);
  const texts = resolveRawTexts(source, problems);

  const raw: Record<string, unknown> = {};
  for (const name of settingNames) {
    const text = texts.get(name)?.text ?? metaOf(name).default;
    if (text === undefined) continue;
    const parsed = rawSettingsSchema.shape[name].safeParse(text);
    if (parsed.success) raw[name] = parsed.data;
    else problems.push(...parsed.error.issues.map((issue) => describeIssue(name, texts.get(name)?.origin ?? `${name} (default)`, issue.message)));
  }

  const origin = (name: SettingName) => texts.get(name)?.origin ?? name;
  const rules = checkRules(raw as RawSettings, purpose, origin);
  problems.push(...rules.problems);
  warnings.push(...rules.warnings);
  if (problems.length > 0) return { problems, warnings };
  return { settings: toSettings(raw as RawSettings), problems, warnings };
}

interface RawText {
  readonly text: string;
  /** The variable the user wrote, as it should appear in messages. */
  readonly origin: string;
}

function resolveRawTexts(source: SettingsSource, problems: InputProblem[]): Map<SettingName, RawText> {
  const texts = new Map<SettingName, RawText>();
  const value = (name: string) => nonEmpty(source.values[name]);

  for (const name of settingNames) {
    const direct = value(name);
    const file = metaOf(name).secret ? value(`${name}_FILE`) : undefined;
    if (direct !== undefined && file !== undefined) {
      problems.push({ input: name, message: `is set both directly and through ${name}_FILE`, hint: 'keep only one of them' });
    } else if (file !== undefined) {
      const secret = readSecretFile(source, name, file, problems);
      if (secret !== undefined) texts.set(name, { text: secret, origin: `${name}_FILE (${file})` });
    } else if (direct !== undefined) {
      texts.set(name, { text: direct, origin: name });
    }
  }

  for (const { alias, target, convert } of settingAliases) {
    const aliased = value(alias);
    if (aliased === undefined) continue;
    const existing = texts.get(target);
    const converted = convert(aliased);
    if (existing && existing.text !== converted) {
      problems.push({ input: alias, message: `conflicts with ${existing.origin}, which it is an alias of`, hint: `keep only ${target}, or give both the same value` });
    } else if (!existing) {
      texts.set(target, { text: converted, origin: `${alias} (alias of ${target})` });
    }
  }
  return texts;
}

function readSecretFile(source: SettingsSource, name: string, path: string, problems: InputProblem[]): string | undefined {
  try {
    // Files written by editors and `echo` end in a newline that is not part of the secret.
    return nonEmpty(source.readFile(path).replace(/\r?\n$/, '')) ?? reportEmpty();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    problems.push({ input: `${name}_FILE`, message: `cannot read ${path}: ${reason}`, hint: 'point it at a readable file that holds only the secret' });
    return undefined;
  }
  function reportEmpty(): undefined {
    problems.push({ input: `${name}_FILE`, message: `${path} is empty`, hint: 'write the secret into the file, or unset the variable' });
    return undefined;
  }
}

function describeIssue(name: SettingName, origin: string, message: string): InputProblem {
  const example = metaOf(name).example;
  return { input: origin, message, hint: example.startsWith('<') ? `see \`gyre settings\` for ${name}` : `for example ${name}=${example}` };
}

/** `GYRE_`-prefixed variables that are not settings are usually typos; say so without failing. */
function findUnknownVariables(values: Readonly<Record<string, string | undefined>>): string[] {
  const known = new Set<string>([...settingNames, ...settingNames.map((n) => `${n}_FILE`)]);
  return Object.keys(values)
    .filter((key) => key.startsWith('GYRE_') && !known.has(key))
    .map((key) => {
      const guess = closestName(key);
      return `${key} is not a Gyre setting and is ignored${guess ? `; did you mean ${guess}?` : ''}`;
    });
}

function closestName(key: string): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of settingNames) {
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

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text.trim() === '' ? undefined : text;
}
