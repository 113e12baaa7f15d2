/**
 * The builder's SSH host key: an Ed25519 key made at the agent's first start and kept in its state
 * volume beside its identity, so that users who checked its fingerprint once are not warned
 * again after a restart. Written atomically, readable by root only. A damaged file is replaced
 * (the fingerprint job pages show changes with it, and the log says so).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ssh2, { type ParsedKey } from 'ssh2';
import { fingerprintsOf } from '../../../shared/ssh-keys.js';
import { GyreError, messageOf } from '../../../shared/errors.js';

const FILE_NAME = 'ssh_host_ed25519_key';

export interface HostKey {
  /** The private key, in OpenSSH's format, for the gateway. */
  readonly privateKey: string;
  /** `SHA256:…`, as `ssh` shows it on a first connection. */
  readonly fingerprint: string;
}

/** The host key in `stateDir`, made when there is none (or it is damaged: `onReplaced` says why). */
export async function loadOrCreateHostKey(stateDir: string, onReplaced: (reason: string) => void): Promise<HostKey> {
  const path = join(stateDir, FILE_NAME);
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new GyreError(`cannot read the SSH host key ${path}: ${messageOf(error)}`, undefined, { cause: error });
  }
  const kept = text === undefined ? undefined : hostKeyOf(text);
  if (kept !== undefined) return kept;
  if (text !== undefined) onReplaced(`${path} does not hold an Ed25519 private key`);
  const made = generateEd25519Key().private;
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, made, { mode: 0o600 });
  await rename(temporary, path);
  return hostKeyOf(made)!;
}

/** The most keys made before giving up: each is malformed with a chance of about 1 in 170. */
const GENERATION_TRIES = 20;

/**
 * A new Ed25519 key pair in OpenSSH's formats. ssh2 1.x sometimes writes a malformed key (it drops
 * a leading zero byte of the public key, about once in 170 keys, and then cannot read it back),
 * so keys are made until one reads back whole.
 */
export function generateEd25519Key(): { readonly private: string; readonly public: string } {
  for (let tries = 0; tries < GENERATION_TRIES; tries++) {
    const made = ssh2.utils.generateKeyPairSync('ed25519');
    if (hostKeyOf(made.private) !== undefined) return made;
  }
  throw new Error(`ssh2 made ${GENERATION_TRIES} malformed Ed25519 keys in a row`);
}

function hostKeyOf(text: string): HostKey | undefined {
  const parsed = ssh2.utils.parseKey(text);
  const key: ParsedKey | Error | undefined = Array.isArray(parsed) ? (parsed as ParsedKey[])[0] : parsed;
  if (key === undefined || key instanceof Error || key.type !== 'ssh-ed25519' || !key.isPrivateKey()) return undefined;
  return { privateKey: text, fingerprint: fingerprintsOf(key.getPublicSSH()).sha256 };
}
