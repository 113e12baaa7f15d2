/**
 * Reads an SSH private key a maintainer gives for `add_ssh_keys`, with ssh2's parser: its public
 * half and fingerprints, or why a job could not use it. Only the formats OpenSSH's `ssh` reads as
 * a key file and ssh2 parses are taken: OpenSSH's own and PEM (`BEGIN RSA|EC PRIVATE KEY`); RSA,
 * ECDSA and Ed25519. PuTTY files, PKCS#8 PEM and DSA keys (which OpenSSH 9.8 dropped) are refused
 * with how to convert them. A job has no one to type a passphrase, so a key must have none, as
 * CircleCI requires too.
 */
import ssh2 from 'ssh2';
import type { InputProblem } from '../../../shared/errors.js';
import {
  fingerprintsOf,
  isEncryptedKey,
  MAX_PRIVATE_KEY_BYTES,
  type SshFingerprints,
} from '../../../shared/ssh-keys.js';

/** A usable key. */
export interface SshPrivateKey {
  /** As given, with LF line ends and a final newline (a browser's form sends CRLF, which ssh refuses). */
  readonly privateKey: string;
  /** `ssh-rsa AAAA…`. */
  readonly publicKey: string;
  readonly fingerprints: SshFingerprints;
}

const HINT =
  'paste the whole private key file without a passphrase, as `ssh-keygen -t ed25519 -N "" -f KEY` writes KEY';
const CONVERT =
  'convert an RSA or ECDSA key to OpenSSH format with `ssh-keygen -p -N "" -f KEY` (it rewrites KEY), or make a new one with `ssh-keygen -t ed25519`';

/** The key, or the problem with it, reported against `input`. */
export function readSshPrivateKey(text: string, input: string): SshPrivateKey | InputProblem {
  const privateKey = `${text.replace(/\r\n?/g, '\n').trim()}\n`;
  const problem = (message: string, hint = HINT): InputProblem => ({ input, message, hint });
  if (Buffer.byteLength(privateKey) > MAX_PRIVATE_KEY_BYTES)
    return problem(`the key is larger than ${MAX_PRIVATE_KEY_BYTES} bytes`);
  if (privateKey.startsWith('PuTTY-User-Key-File'))
    return problem('a PuTTY key file, which ssh cannot read', 'export it from PuTTYgen as an OpenSSH key');
  if (isEncryptedKey(Buffer.from(privateKey)))
    return problem('the key has a passphrase, which a job cannot type', 'remove it with `ssh-keygen -p -N "" -f KEY`');
  if (privateKey.startsWith('-----BEGIN PRIVATE KEY-----'))
    return problem('a PKCS#8 key, which Gyre cannot read', CONVERT);
  const parsed = ssh2.utils.parseKey(privateKey);
  if (parsed instanceof Error) return problem(`not an SSH private key Gyre can read (${parsed.message})`);
  if (!parsed.isPrivateKey()) return problem('this is a public key; Gyre needs the private half');
  if (parsed.type === 'ssh-dss')
    return problem('a DSA key, which current OpenSSH no longer uses', 'make an Ed25519 key instead');
  const blob = parsed.getPublicSSH();
  return { privateKey, publicKey: `${parsed.type} ${blob.toString('base64')}`, fingerprints: fingerprintsOf(blob) };
}
