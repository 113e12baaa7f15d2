/**
 * Reads settings for CLI commands: generator commands read a `.env` file; `serve` and `agent`
 * read the process environment (inside containers), optionally on top of a `.env` file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  checkSettings,
  parseEnvFile,
  type Settings,
  type SettingsPurpose,
  type SettingsSource,
} from '../config/index.js';
import { InvalidInputError } from '../shared/errors.js';
import type { Output } from './output.js';

export interface SettingsFileOptions {
  /** Path of the `.env` file; `./.env` when omitted. */
  readonly env?: string;
}

/** Builds the source of settings: the `.env` file (when present) and optionally the process environment over it. */
export function readSettingsSource(options: SettingsFileOptions, withProcessEnv: boolean): SettingsSource {
  const path = resolve(options.env ?? '.env');
  const explicit = options.env !== undefined;
  let values: Record<string, string | undefined> = {};
  if (existsSync(path)) {
    values = parseEnvFile(readEnvFile(path));
  } else if (explicit) {
    throw new InvalidInputError('--env', [
      {
        input: path,
        message: 'does not exist',
        hint: 'create it with `gyre init`, or pass the path of an existing .env file',
      },
    ]);
  }
  if (withProcessEnv) values = { ...values, ...process.env };
  const name = withProcessEnv ? (existsSync(path) ? `${path} and the environment` : 'the environment') : path;
  return { name, values, readFile: (file) => readFileSync(file, 'utf8') };
}

function readEnvFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    const reason =
      code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (message ?? String(error));
    throw new InvalidInputError('--env', [
      { input: path, message: `cannot be read: ${reason}`, hint: 'pass the path of a readable .env file' },
    ]);
  }
}

/** Loads settings for a command, printing warnings, and throws with every problem listed. */
export function loadCommandSettings(
  options: SettingsFileOptions,
  purpose: SettingsPurpose,
  output: Output,
  withProcessEnv = false,
): Settings {
  const source = readSettingsSource(options, withProcessEnv);
  const check = checkSettings(source, purpose);
  check.warnings.forEach((w) => output.warn(w));
  if (!check.settings) throw new InvalidInputError(source.name, check.problems);
  return check.settings;
}
