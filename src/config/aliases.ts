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
  /**
   * Checks the alias's own format before conversion, when it differs from the target's, and says
   * what is wrong. Without it, a bad value would be reported in terms of the converted text.
   */
  readonly check?: (raw: string) => string | undefined;
  /** A valid value of the alias, shown in hints. */
  readonly example: string;
}

const same = (raw: string) => raw;

const HOST_OR_IP = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/;

export const settingAliases: readonly SettingAlias[] = [
  // The old path gave an IP and assumed plain HTTP on port 80 of the services box.
  {
    alias: 'SERVICES_PRIVATE_IP',
    target: 'GYRE_SERVICES_URL',
    convert: (raw) => `http://${raw.trim()}`,
    // "http://10.0.0.5" would otherwise become http://http://10.0.0.5, a valid URL of host "http".
    check: (raw) =>
      HOST_OR_IP.test(raw.trim())
        ? undefined
        : 'must be the IP address or host name of the services box, without scheme or port (use GYRE_SERVICES_URL for a full URL)',
    example: '10.0.0.5',
  },
  {
    alias: 'CIRCLE_SECRET_PASSPHRASE',
    target: 'GYRE_JOIN_SECRET',
    convert: same,
    example: '<the GYRE_JOIN_SECRET of the services box>',
  },
  { alias: 'CIRCLE_NUM_CONTAINERS', target: 'GYRE_BUILDER_SLOTS', convert: same, example: '4' },
  { alias: 'CIRCLE_CONTAINER_CPUS', target: 'GYRE_SLOT_CPUS', convert: same, example: '2' },
  { alias: 'CIRCLE_CONTAINER_MEMORY_LIMIT', target: 'GYRE_SLOT_MEMORY', convert: same, example: '4G' },
];

/** The aliases of one setting, for documentation. */
export function aliasesOf(name: SettingName): string[] {
  return settingAliases.filter((a) => a.target === name).map((a) => a.alias);
}
