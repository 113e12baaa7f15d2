/**
 * How an ssh:// host logs in and whom it trusts. ssh2 (inside docker-modem) reads neither
 * ~/.ssh/config nor known_hosts, and by default accepts any host key; for an engine that gives
 * root on its machine we check the host key against known_hosts as `ssh` would, and use
 * ~/.ssh/config's HostName, User, Port and IdentityFile, the ssh-agent and the default key
 * files as `ssh` would.
 */
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError } from '../shared/errors.js';
import type { Environment } from './docker-config.js';
import { describeDockerHost, DEFAULT_SSH_PORT, type SshDockerHost } from './host.js';
import { sshArguments } from './host-hints.js';
import { matchesPatterns, readSshConfig, type SshConfigEntry } from './ssh-config.js';
import { isEncryptedKey } from '../shared/ssh-keys.js';

/** What ssh2 needs to reach one host. */
export interface SshLogin {
  /** Where to connect: the URL's host, or its HostName in ~/.ssh/config. */
  readonly address: string;
  readonly port: number;
  readonly username: string;
  readonly agent?: string;
  readonly privateKey?: Buffer;
  /** Accepts only the host keys known_hosts lists for this host. */
  readonly hostVerifier: (key: Buffer) => boolean;
  /** The key types known_hosts has, so the server offers one of those. */
  readonly serverHostKeys: readonly string[];
}

/** A key known_hosts lists for a host. */
export interface KnownHostKey {
  readonly type: string;
  readonly key: Buffer;
  readonly revoked: boolean;
}

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];
/** OpenSSH signs with these for a known `ssh-rsa` key. */
const RSA_ALGORITHMS = ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

/**
 * The login for an ssh:// host: where it is and the user (the URL's, else ~/.ssh/config's for
 * that name; a port in the URL other than 22 wins over the config's), SSH_AUTH_SOCK's agent and
 * the first key without a passphrase (the config's IdentityFile, then the default ones), and a
 * verifier built from the known_hosts files for the real host name.
 * @param knownHostsFiles @default ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts
 */
export function sshLoginFor(host: SshDockerHost, env: Environment, knownHostsFiles?: readonly string[]): SshLogin {
  const home = env['HOME'] || homedir();
  const configFile = join(home, '.ssh', 'config');
  const config: SshConfigEntry = existsSync(configFile)
    ? readSshConfig(readFileSync(configFile, 'utf8'), host.address)
    : { identityFiles: [] };
  const address = config.hostName ?? host.address;
  const port = host.port !== DEFAULT_SSH_PORT ? host.port : (config.port ?? DEFAULT_SSH_PORT);
  const files = knownHostsFiles ?? [join(home, '.ssh', 'known_hosts'), '/etc/ssh/ssh_known_hosts'];
  const where = `Docker host ${describeDockerHost(host)}`;
  const keys = files
    .filter((file) => existsSync(file))
    .flatMap((file) => findKnownHostKeys(readFileSync(file, 'utf8'), address, port));
  const trusted = keys.filter((k) => !k.revoked);
  const name = knownHostsName(address, port);
  if (trusted.length === 0) {
    throw new InvalidInputError(where, [
      {
        input: files.join(', '),
        message: `list no host key for ${name}, so Gyre cannot tell the real host from an impostor`,
        hint: `run \`ssh ${sshArguments(host)} true\` once and accept the key after checking its fingerprint`,
      },
    ]);
  }
  const agent = env['SSH_AUTH_SOCK'] || undefined;
  const privateKey = findUsableKey([
    ...config.identityFiles.map((file) => file.replace(/^~(?=\/)/, home)),
    ...DEFAULT_KEYS.map((key) => join(home, '.ssh', key)),
  ]);
  if (agent === undefined && privateKey === undefined) {
    throw new InvalidInputError(where, [
      {
        input: 'SSH_AUTH_SOCK',
        message: `is not set, and ${join(home, '.ssh')} holds no ${DEFAULT_KEYS.join(', ')} without a passphrase`,
        hint: 'start ssh-agent and `ssh-add` your key, then run Gyre from that shell',
      },
    ]);
  }
  const types = [...new Set(trusted.map((k) => k.type))];
  return {
    address,
    port,
    username: host.user ?? config.user ?? (env['USER'] || userInfo().username),
    agent,
    privateKey,
    hostVerifier: (key) => trusted.some((k) => k.key.equals(key)) && !keys.some((k) => k.revoked && k.key.equals(key)),
    serverHostKeys: types.flatMap((type) => (type === 'ssh-rsa' ? RSA_ALGORITHMS : [type])),
  };
}

/** How known_hosts names a host: the bare name on port 22, else `[name]:port`. */
export function knownHostsName(address: string, port: number): string {
  const name = address.toLowerCase();
  return port === DEFAULT_SSH_PORT ? name : `[${name}]:${port}`;
}

/** The keys a known_hosts file lists for a host: plain, wildcard and hashed (`|1|`) entries. */
export function findKnownHostKeys(text: string, address: string, port: number): KnownHostKey[] {
  const name = knownHostsName(address, port);
  const keys: KnownHostKey[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) continue;
    const marker = fields[0].startsWith('@') ? fields.shift() : undefined;
    const [patterns, type, key] = fields;
    if (marker === '@cert-authority' || patterns === undefined || type === undefined || key === undefined) continue;
    if (matchesHost(patterns, name))
      keys.push({ type, key: Buffer.from(key, 'base64'), revoked: marker === '@revoked' });
  }
  return keys;
}

/** A hashed entry, or a comma-separated pattern list. */
function matchesHost(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) return matchesHashed(patterns, name);
  return matchesPatterns(patterns.split(','), name);
}

function matchesHashed(entry: string, name: string): boolean {
  const [, , salt, hash] = entry.split('|');
  if (salt === undefined || hash === undefined) return false;
  return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
}

/** The first of `files` that exists and that ssh2 can use without a passphrase. */
function findUsableKey(files: readonly string[]): Buffer | undefined {
  for (const file of files) {
    if (!existsSync(file)) continue;
    const key = readFileSync(file);
    if (!isEncryptedKey(key)) return key;
  }
  return undefined;
}
