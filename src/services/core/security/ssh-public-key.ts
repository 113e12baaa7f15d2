/**
 * Reads a public key a user adds for SSH into builds, as an `authorized_keys` line
 * (`ssh-ed25519 AAAA… comment`, what `~/.ssh/id_ed25519.pub` holds), with ssh2's parser: the key
 * in the form the builder compares, its fingerprints, and its comment, or why it cannot be used.
 * RSA (2048 bits or more), ECDSA and Ed25519; DSA, which current OpenSSH no longer accepts, and
 * private keys pasted by mistake are refused saying what to paste instead.
 */
import ssh2 from 'ssh2';
import type { InputProblem } from '../../../shared/errors.js';
import { fingerprintsOf, type SshFingerprints } from '../../../shared/ssh-keys.js';

export interface SshPublicKey {
  /** `ssh-ed25519 AAAA…`, without the comment. */
  readonly publicKey: string;
  readonly fingerprints: SshFingerprints;
  /** What followed the key on its line, usually `user@host`; '' when nothing did. */
  readonly comment: string;
}

const HINT = 'paste one line of your public key file, e.g. the whole of ~/.ssh/id_ed25519.pub';
/** Longer than any key line OpenSSH writes (an RSA key of 16384 bits is about 2.8 KB). */
const MAX_LINE = 8 * 1024;
const MIN_RSA_BITS = 2048;

/** The key, or the problem with it, reported against `input`. */
export function readSshPublicKey(text: string, input: string): SshPublicKey | InputProblem {
  const line = text.trim();
  const problem = (message: string, hint = HINT): InputProblem => ({ input, message, hint });
  if (line === '') return problem('is empty');
  if (line.length > MAX_LINE) return problem(`is longer than ${MAX_LINE} characters`);
  if (/PRIVATE KEY-----/.test(line))
    return problem('this is a private key: never share it', 'paste the public half instead, the .pub file beside it');
  if (line.includes('\n')) return problem('holds more than one line', 'add one key at a time');
  const parsed = ssh2.utils.parseKey(line);
  if (parsed instanceof Error) return problem(`not a public key line Gyre can read (${parsed.message})`);
  if (parsed.isPrivateKey()) return problem('this is a private key: never share it', 'paste the public half instead');
  if (parsed.type === 'ssh-dss')
    return problem(
      'a DSA key, which current OpenSSH no longer accepts',
      'make an Ed25519 key: `ssh-keygen -t ed25519`',
    );
  const blob = parsed.getPublicSSH();
  if (parsed.type === 'ssh-rsa' && rsaBits(blob) < MIN_RSA_BITS)
    return problem(
      `an RSA key of ${rsaBits(blob)} bits, under ${MIN_RSA_BITS}`,
      'make an Ed25519 key: `ssh-keygen -t ed25519`',
    );
  return {
    publicKey: `${parsed.type} ${blob.toString('base64')}`,
    fingerprints: fingerprintsOf(blob),
    comment: parsed.comment.trim(),
  };
}

/** The modulus size of an `ssh-rsa` public blob: string "ssh-rsa", mpint e, mpint n (RFC 4253). */
function rsaBits(blob: Buffer): number {
  let offset = 0;
  const next = () => {
    const length = blob.readUInt32BE(offset);
    const field = blob.subarray(offset + 4, offset + 4 + length);
    offset += 4 + length;
    return field;
  };
  next(); // "ssh-rsa"
  next(); // e
  const n = next();
  const significant = n[0] === 0 ? n.subarray(1) : n;
  return significant.length * 8 - Math.clz32(significant[0] ?? 0) + 24;
}
