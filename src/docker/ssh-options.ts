/**
 * How an ssh:// host logs in and whom it trusts. ssh2 (inside docker-modem) reads neither
 * ~/.ssh/config nor known_hosts, and by default accepts any host key; for an engine that gives
 * root on its machine we check the host key against known_hosts as `ssh` would, and use the
 * ssh-agent and the default key files as `ssh` would.
 */
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError } from '../shared/errors.js';
import type { Environment } from './docker-config.js';
import { describeDockerHost, DEFAULT_SSH_PORT, type SshDockerHost } from './host.js';
import { sshArguments } from './host-hints.js';

/** What ssh2 needs to reach one host. */
export interface SshLogin {
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
 * The login for an ssh:// host: the user, SSH_AUTH_SOCK's agent and the first default key
 * without a passphrase, and a verifier built from the known_hosts files.
 * @param knownHostsFiles @default ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts
 */
export function sshLoginFor(host: SshDockerHost, env: Environment, knownHostsFiles?: readonly string[]): SshLogin {
  const home = env['HOME'] || homedir();
  const files = knownHostsFiles ?? [join(home, '.ssh', 'known_hosts'), '/etc/ssh/ssh_known_hosts'];
  const where = `Docker host ${describeDockerHost(host)}`;
  const keys = files.filter((file) => existsSync(file)).flatMap((file) => findKnownHostKeys(readFileSync(file, 'utf8'), host.address, host.port));
  const trusted = keys.filter((k) => !k.revoked);
  const name = knownHostsName(host.address, host.port);
  if (trusted.length === 0) {
    throw new InvalidInputError(where, [
      { input: files.join(', '), message: `list no host key for ${name}, so Gyre cannot tell the real host from an impostor`, hint: `run \`ssh ${sshArguments(host)} true\` once and accept the key after checking its fingerprint` },
    ]);
  }
  const agent = env['SSH_AUTH_SOCK'] || undefined;
  const privateKey = findDefaultKey(join(home, '.ssh'));
  if (agent === undefined && privateKey === undefined) {
    throw new InvalidInputError(where, [
      { input: 'SSH_AUTH_SOCK', message: `is not set, and ${join(home, '.ssh')} holds no ${DEFAULT_KEYS.join(', ')} without a passphrase`, hint: 'start ssh-agent and `ssh-add` your key, then run Gyre from that shell' },
    ]);
  }
  const types = [...new Set(trusted.map((k) => k.type))];
  return {
    username: host.user ?? (env['USER'] || userInfo().username),
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
    if (matchesHost(patterns, name)) keys.push({ type, key: Buffer.from(key, 'base64'), revoked: marker === '@revoked' });
  }
  return keys;
}

/** A comma-separated pattern list matches when some pattern does and no `!pattern` does. */
function matchesHost(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) return matchesHashed(patterns, name);
  let matched = false;
  for (const pattern of patterns.toLowerCase().split(',')) {
    const negated = pattern.startsWith('!');
    if (!wildcard(negated ? pattern.slice(1) : pattern).test(name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function matchesHashed(entry: string, name: string): boolean {
  const [, , salt, hash] = entry.split('|');
  if (salt === undefined || hash === undefined) return false;
  return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
}

function wildcard(pattern: string): RegExp {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`);
}

/** The first of ~/.ssh/id_ed25519, id_ecdsa and id_rsa that ssh2 can use without a passphrase. */
function findDefaultKey(sshDir: string): Buffer | undefined {
  for (const name of DEFAULT_KEYS) {
    const file = join(sshDir, name);
    if (!existsSync(file)) continue;
    const key = readFileSync(file);
    if (!isEncryptedKey(key)) return key;
  }
  return undefined;
}

/** True for a PEM or OpenSSH private key that needs a passphrase. */
export function isEncryptedKey(pem: Buffer): boolean {
  const text = pem.toString('utf8');
  if (text.includes('ENCRYPTED')) return true;
  const body = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END/.exec(text)?.[1];
  if (body === undefined) return false;
  const bytes = Buffer.from(body.replace(/\s/g, ''), 'base64');
  const magic = 'openssh-key-v1\0';
  if (bytes.length < magic.length + 4 || bytes.toString('latin1', 0, magic.length) !== magic) return false;
  const length = bytes.readUInt32BE(magic.length);
  return bytes.toString('latin1', magic.length + 4, magic.length + 4 + length) !== 'none';
}
