/**
 * Shared inputs for the settings tests: a valid set of secrets and sources built from inline
 * variables or from the `.env` fixtures, with `NAME_FILE` reads served from memory.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  checkSettings,
  parseEnvFile,
  type SettingsCheck,
  type SettingsPurpose,
  type SettingsSource,
} from '../../../src/config/index.js';

export const FIXTURES_DIR = fileURLToPath(new URL('../../fixtures/env/', import.meta.url));

/** Secrets that pass every strength check; the same values as in the `good-*` fixtures. */
export const VALID_SECRETS = {
  GYRE_JOIN_SECRET: 'fixture-join-secret-0123456789abcdef',
  GYRE_ADMIN_PASSWORD: 'fixture-admin-pw',
  GYRE_ENCRYPTION_KEY: 'Z3lyZS1maXh0dXJlLWVuY3J5cHRpb24ta2V5LTAwMzI=',
  GYRE_SESSION_SECRET: 'fixture-session-secret-0123456789',
  GYRE_DB_PASSWORD: 'fixture-db-password',
} as const;

/** Settings a builder needs. */
export const VALID_AGENT = {
  GYRE_JOIN_SECRET: VALID_SECRETS.GYRE_JOIN_SECRET,
  GYRE_SERVICES_URL: 'http://10.0.0.5',
} as const;

/** A source of inline variables; `files` answers `NAME_FILE` reads, any other path is ENOENT. */
export function sourceOf(values: Record<string, string>, files: Record<string, string> = {}): SettingsSource {
  return {
    name: 'test.env',
    values,
    readFile: (path) => {
      const content = files[path];
      if (content === undefined)
        throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
      return content;
    },
  };
}

/** Checks inline variables for a purpose. */
export function check(
  values: Record<string, string>,
  purpose: SettingsPurpose,
  files?: Record<string, string>,
): SettingsCheck {
  return checkSettings(sourceOf(values, files), purpose);
}

/** Checks one `.env` fixture for a purpose. */
export function checkFixture(file: string, purpose: SettingsPurpose): SettingsCheck {
  const values = parseEnvFile(readFileSync(`${FIXTURES_DIR}${file}`, 'utf8'));
  return checkSettings({ name: file, values, readFile: () => '' }, purpose);
}

/** The problems as `INPUT: message` lines, the way a user reads them. */
export function problemLines(result: SettingsCheck): string[] {
  return result.problems.map((p) => `${p.input}: ${p.message}`);
}
