/**
 * Variables of the docker-install path that Gyre replaces, accepted unchanged so that its users
 * can move over without rewriting their builder configuration.
 */
import type { SettingName } from './schema.js';

export interface SettingAlias {
  /** The variable the old install path used. */
  readonly alias: string;
  /** The Gyre setting it stands for. */
  readonly target: SettingName;
  /** Turns the alias's raw text into the target's raw text. */
  readonly convert: (raw: string) => string;
}

const same = (raw: string) => raw;

export const settingAliases: readonly SettingAlias[] = [
  // The old path gave an IP and assumed plain HTTP on port 80 of the services box.
  { alias: 'SERVICES_PRIVATE_IP', target: 'GYRE_SERVICES_URL', convert: (raw) => `http://${raw.trim()}` },
  { alias: 'CIRCLE_SECRET_PASSPHRASE', target: 'GYRE_JOIN_SECRET', convert: same },
  { alias: 'CIRCLE_NUM_CONTAINERS', target: 'GYRE_BUILDER_SLOTS', convert: same },
  { alias: 'CIRCLE_CONTAINER_CPUS', target: 'GYRE_SLOT_CPUS', convert: same },
  { alias: 'CIRCLE_CONTAINER_MEMORY_LIMIT', target: 'GYRE_SLOT_MEMORY', convert: same },
];

/** The aliases of one setting, for documentation. */
export function aliasesOf(name: SettingName): string[] {
  return settingAliases.filter((a) => a.target === name).map((a) => a.alias);
}
