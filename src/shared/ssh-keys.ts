/**
 * Facts about SSH keys that the services box, the builder and the orchestrator share.
 *
 * Fingerprints as `ssh-keygen -l` prints them and CircleCI's `add_ssh_keys` names keys: the MD5
 * of the public key blob in colon hex (`ab:cd:…`, 16 bytes; `ssh-keygen -E md5` adds an `MD5:`
 * prefix) or its SHA256 in base64 without padding (`SHA256:…`). A config may name a key either
 * way; Gyre keeps both, and names the key's file in a job by the MD5, as CircleCI does.
 */
import { createHash } from 'node:crypto';

/** Both fingerprints of one key. */
export interface SshFingerprints {
  /** `ab:cd:…`, lower case. */
  readonly md5: string;
  /** `SHA256:…`. */
  readonly sha256: string;
}

const MD5 = /^(?:MD5:)?((?:[0-9a-f]{2}:){15}[0-9a-f]{2})$/i;
const SHA256 = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** The fingerprints of a public key blob (the base64 field of an `ssh-ed25519 AAAA…` line, decoded). */
export function fingerprintsOf(publicBlob: Buffer): SshFingerprints {
  const md5 = createHash('md5').update(publicBlob).digest('hex');
  const sha256 = createHash('sha256').update(publicBlob).digest('base64').replace(/=+$/, '');
  return { md5: md5.replace(/(..)(?!$)/g, '$1:'), sha256: `SHA256:${sha256}` };
}

/**
 * A fingerprint as written, in the form Gyre compares: MD5 in lower case without `MD5:`, SHA256 as
 * it is (base64 is case-sensitive). `undefined` when it is neither.
 */
export function normalizeFingerprint(written: string): string | undefined {
  const text = written.trim();
  const md5 = MD5.exec(text)?.[1];
  if (md5 !== undefined) return md5.toLowerCase();
  return SHA256.test(text) ? text : undefined;
}

/** Whether `written` (normalized) names the key with these fingerprints. */
export function namesKey(written: string, key: SshFingerprints): boolean {
  return written === key.md5 || written === key.sha256;
}

/** What a well-formed fingerprint looks like, for messages. */
export const FINGERPRINT_FORMS =
  'an MD5 fingerprint (`b7:35:a6:4e:9b:0d:6d:d4:78:1e:9a:97:2a:66:6b:62`) or a SHA256 one (`SHA256:` and 43 base64 characters), as `ssh-keygen -l -f KEY` prints them';

/** `ab:cd:…` as Gyre keeps an MD5 fingerprint: lower case, no prefix. */
export const MD5_FINGERPRINT = /^(?:[0-9a-f]{2}:){15}[0-9a-f]{2}$/;

/**
 * A host name an `ssh_config` `Host` line can hold as it is: no spaces, quotes, patterns or
 * anything else ssh would read more into.
 */
export const SSH_HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,252})$/;

/** Larger than any RSA key of 16,384 bits in any format. */
export const MAX_PRIVATE_KEY_BYTES = 16 * 1024;

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

/**
 * What a job's output must not show of a private key: its body. The armour lines
 * (`-----BEGIN … KEY-----`) are the same in every key and tell nothing, so they stay readable.
 */
export function privateKeyBody(privateKey: string): string {
  return privateKey
    .split(/\r?\n/)
    .filter((line) => !line.startsWith('-----'))
    .join('\n')
    .trim();
}
