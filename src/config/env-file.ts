/**
 * Reading and writing `.env` text. Parsing uses dotenv's parser, which never touches
 * `process.env`; writing produces the commented file that `gyre init` hands to users.
 */
import { parse } from 'dotenv';
import { metaOf, settingNames, type SettingName } from './schema.js';

/** Parses `.env` text into variables. */
export function parseEnvFile(text: string): Record<string, string> {
  return parse(text);
}

/** Random bytes source, injected so that tests can be deterministic. */
export type RandomBytes = (size: number) => Buffer;

/** Generates the secrets of a new installation, each strong enough for its use. */
export function generateSecrets(randomBytes: RandomBytes): Partial<Record<SettingName, string>> {
  return {
    GYRE_JOIN_SECRET: randomBytes(32).toString('base64url'),
    GYRE_ADMIN_PASSWORD: randomBytes(15).toString('base64url'),
    GYRE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    GYRE_SESSION_SECRET: randomBytes(48).toString('base64url'),
    GYRE_DB_PASSWORD: randomBytes(24).toString('base64url'),
  };
}

/**
 * The `.env` of these values without those the schema marks secret, as backups keep it. A URL's
 * password (a proxy's, `http://user:password@proxy:3128`) is left out too.
 */
export function renderEnvFileWithoutSecrets(values: Readonly<Record<string, string | undefined>>): string {
  const kept: Partial<Record<SettingName, string>> = {};
  for (const name of settingNames) {
    const value = values[name];
    if (value !== undefined && metaOf(name).secret !== true) kept[name] = withoutUrlPassword(value);
  }
  return renderEnvFile(kept);
}

function withoutUrlPassword(value: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value.trim())) return value;
  try {
    const url = new URL(value.trim());
    if (url.password === '') return value;
    url.password = 'REDACTED';
    return url.toString();
  } catch {
    return value;
  }
}

/**
 * Renders a `.env` file: every setting with its description, set values uncommented and the
 * rest commented out at their defaults, so the file documents itself.
 */
export function renderEnvFile(values: Partial<Record<SettingName, string>>): string {
  const lines = ['# Gyre settings. `gyre settings` explains each one; `gyre settings check` validates this file.', ''];
  for (const name of settingNames) {
    const meta = metaOf(name);
    lines.push(`# ${meta.description}${meta.secret ? ' (secret)' : ''}`);
    const value = values[name];
    if (value !== undefined) lines.push(`${name}=${quote(name, value)}`);
    else lines.push(`# ${name}=${meta.default ?? ''}`);
    lines.push('');
  }
  return lines.join('\n');
}

/**
 * Writes a value so that dotenv reads back exactly the same text. dotenv takes single-quoted
 * values literally and unescapes nothing but \n and \r inside double quotes, so backslash
 * escaping would not round-trip.
 */
function quote(name: string, value: string): string {
  if (/^[A-Za-z0-9_./:@+=-]*$/.test(value)) return value;
  if (!/['\r\n]/.test(value)) return `'${value}'`;
  if (!/["\r\n]|\\[nr]/.test(value)) return `"${value}"`;
  throw new Error(
    `${name} cannot be written to a .env file: its value has both quote characters, a line break or a literal \\n`,
  );
}
