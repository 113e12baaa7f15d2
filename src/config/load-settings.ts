/**
 * Turns environment variables (from a `.env` file or the process) into validated `Settings`.
 * It goes raw text → aliases and `_FILE` secrets → per-value parse → cross-field rules, and
 * collects every problem before reporting, so one run shows all that is wrong.
 */
import { InvalidInputError, type InputProblem } from '../shared/errors.js';
import { settingAliases, type SettingAlias } from './aliases.js';
import { checkRules, type SettingsPurpose } from './rules.js';
import { metaOf, rawSettingsSchema, settingNames, type SettingName } from './schema.js';
import { toSettings, type Settings } from './settings.js';
import { findUnknownVariables } from './unknown-variables.js';

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
  const { texts, given } = resolveRawTexts(source, problems);

  const raw: Record<string, unknown> = {};
  for (const name of settingNames) {
    const text = texts.get(name);
    const parsed = rawSettingsSchema.shape[name].safeParse(text?.text ?? metaOf(name).default);
    if (parsed.success) raw[name] = parsed.data;
    else
      problems.push(
        ...parsed.error.issues.map((issue) => ({
          input: text?.origin ?? `${name} (default)`,
          message: issue.message,
          hint: hintFor(name, text?.alias),
        })),
      );
  }

  const rules = checkRules(raw, purpose, { isSet: (name) => given.has(name) });
  problems.push(...rules.problems);
  warnings.push(...rules.warnings);
  if (problems.length > 0) return { problems, warnings };
  return { settings: toSettings(raw), problems, warnings };
}

interface RawText {
  readonly text: string;
  /** The variable the user wrote, as it should appear in messages. */
  readonly origin: string;
  /** Set when the value came from an old variable name. */
  readonly alias?: SettingAlias;
}

interface RawTexts {
  readonly texts: Map<SettingName, RawText>;
  /** Settings the user gave in some form, even one that could not be read or parsed. */
  readonly given: Set<SettingName>;
}

function resolveRawTexts(source: SettingsSource, problems: InputProblem[]): RawTexts {
  const texts = new Map<SettingName, RawText>();
  const given = new Set<SettingName>();
  const value = (name: string) => nonEmpty(source.values[name]);

  for (const name of settingNames) {
    const direct = value(name);
    const file = metaOf(name).secret ? value(`${name}_FILE`) : undefined;
    if (direct !== undefined || file !== undefined) given.add(name);
    if (direct !== undefined && file !== undefined) {
      problems.push({
        input: name,
        message: `is set both directly and through ${name}_FILE`,
        hint: `keep only one of ${name} and ${name}_FILE`,
      });
    } else if (file !== undefined) {
      const secret = readSecretFile(source, name, file, problems);
      if (secret !== undefined) texts.set(name, { text: secret, origin: `${name}_FILE (${file})` });
    } else if (direct !== undefined) {
      texts.set(name, { text: direct, origin: name });
    }
  }

  for (const alias of settingAliases) {
    const aliased = value(alias.alias);
    if (aliased === undefined) continue;
    const { target } = alias;
    const existing = texts.get(target);
    const wrong = alias.check?.(aliased);
    if (existing && !sameValue(target, existing.text, alias.convert(aliased))) {
      problems.push({
        input: alias.alias,
        message: `conflicts with ${existing.origin}, which it is an alias of`,
        hint: `keep only ${target}, or give both the same value`,
      });
    } else if (!existing && !given.has(target) && wrong !== undefined) {
      problems.push({ input: alias.alias, message: wrong, hint: hintFor(target, alias) });
    } else if (!existing && !given.has(target)) {
      texts.set(target, { text: alias.convert(aliased), origin: `${alias.alias} (alias of ${target})`, alias });
    }
    given.add(target);
  }
  return { texts, given };
}

/** Two spellings of one setting agree when they parse to the same value ("4G" and "4096M"). */
function sameValue(name: SettingName, a: string, b: string): boolean {
  if (a === b) return true;
  const [left, right] = [rawSettingsSchema.shape[name].safeParse(a), rawSettingsSchema.shape[name].safeParse(b)];
  return left.success && right.success && left.data === right.data;
}

const FILE_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'it is a directory, not a file',
};

function readSecretFile(
  source: SettingsSource,
  name: string,
  path: string,
  problems: InputProblem[],
): string | undefined {
  let content: string;
  try {
    content = source.readFile(path);
  } catch (error) {
    // Read errors are Node system errors; classify them by code, never by their text.
    const { code, message } = (error ?? {}) as Partial<NodeJS.ErrnoException>;
    const reason = (code && FILE_ERRORS[code]) ?? message ?? String(error);
    problems.push({
      input: `${name}_FILE`,
      message: `cannot read ${path}: ${reason}`,
      hint: 'point it at a readable file that holds only the secret',
    });
    return undefined;
  }
  // Files written by editors and `echo` end in a newline that is not part of the secret.
  const secret = nonEmpty(content.replace(/\r?\n$/, ''));
  if (secret === undefined)
    problems.push({
      input: `${name}_FILE`,
      message: `${path} is empty`,
      hint: `write the secret into the file, or unset ${name}_FILE`,
    });
  return secret;
}

/** How to fix a value that did not parse: an example of the variable the user wrote. */
function hintFor(name: SettingName, alias: SettingAlias | undefined): string {
  const variable = alias?.alias ?? name;
  const example = alias?.example ?? metaOf(name).example;
  if (name === 'GYRE_JOIN_SECRET')
    return `copy GYRE_JOIN_SECRET from the services box's .env into ${variable}; on the services box, \`gyre init\` generates one`;
  // An encryption key must be base64; other secrets may end up in URLs, where hex needs no escaping.
  const command = name === 'GYRE_ENCRYPTION_KEY' ? 'openssl rand -base64 32' : 'openssl rand -hex 32';
  if (example.startsWith('<'))
    return `generate one with \`${command}\`, or run \`gyre init\` to write a new .env with every secret`;
  return `for example ${variable}=${example}`;
}

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text.trim() === '' ? undefined : text;
}
