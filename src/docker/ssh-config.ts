/**
 * The part of `~/.ssh/config` that decides where an ssh:// Docker host is and who logs in: for
 * `ssh://builder-1`, the `Host` blocks matching `builder-1` give HostName, User, Port and
 * IdentityFile, the first value of each winning, as OpenSSH reads them. `Match` blocks and every
 * other keyword are not applied; `Include` is not followed.
 */

/** What the config says for one alias. */
export interface SshConfigEntry {
  /** `%h` already replaced by the alias. */
  readonly hostName?: string;
  readonly user?: string;
  readonly port?: number;
  /** In order; `~` is left for the caller to expand. */
  readonly identityFiles: readonly string[];
}

/** Reads `text` (an ssh_config file) for the host the user typed, `alias`. */
export function readSshConfig(text: string, alias: string): SshConfigEntry {
  const found: { hostName?: string; user?: string; port?: number; identityFiles: string[] } = { identityFiles: [] };
  // Lines before the first Host or Match apply to every host.
  let applies = true;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line);
    if (!match) continue;
    const keyword = match[1]!.toLowerCase();
    const value = unquoted(match[2]!.trim());
    if (keyword === 'host') applies = matchesPatterns(value.split(/\s+/), alias.toLowerCase());
    else if (keyword === 'match') applies = false;
    else if (applies) take(found, keyword, value, alias);
  }
  return found;
}

function take(
  found: { hostName?: string; user?: string; port?: number; identityFiles: string[] },
  keyword: string,
  value: string,
  alias: string,
): void {
  if (keyword === 'hostname') found.hostName ??= value.replaceAll('%h', alias);
  else if (keyword === 'user') found.user ??= value;
  else if (keyword === 'port' && /^\d+$/.test(value)) found.port ??= Number(value);
  else if (keyword === 'identityfile') found.identityFiles.push(value);
}

function unquoted(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

/**
 * OpenSSH's pattern lists (ssh_config `Host`, known_hosts): a name matches when some pattern does
 * and no `!pattern` does; `*` and `?` are wildcards. `name` and the patterns compare lower-cased.
 */
export function matchesPatterns(patterns: readonly string[], name: string): boolean {
  let matched = false;
  for (const pattern of patterns.map((p) => p.toLowerCase())) {
    const negated = pattern.startsWith('!');
    if (!wildcard(negated ? pattern.slice(1) : pattern).test(name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function wildcard(pattern: string): RegExp {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`);
}
