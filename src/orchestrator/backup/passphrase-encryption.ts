/**
 * Backups encrypted with a passphrase (`--passphrase-file`): a key derived by scrypt from the
 * passphrase and a salt kept in the set's `encryption.json`, so that every backup of a set shares
 * it and blobs stay copied once; each file is AES-256-GCM in chunks of 64 KiB, each with a fresh
 * nonce and its index and a last-chunk flag as associated data, so chunks cannot be reordered,
 * dropped or cut off unnoticed, and the file's name in the set as well, so one file cannot stand in
 * for another (an older backup's dump, another blob). Checksums are of the encrypted files: verify
 * needs no passphrase to find a damaged file, only to open the dump.
 *
 * File layout: "GYREENC1", then per chunk: nonce (12) | ciphertext (up to 64 KiB) | tag (16).
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { z } from 'zod';
import { InvalidInputError } from '../../shared/errors.js';

export const ENCRYPTION_FILE = 'encryption.json';
const MAGIC = Buffer.from('GYREENC1');
const CHUNK = 64 * 1024;
const NONCE = 12;
const TAG = 16;
const RECORD = NONCE + CHUNK + TAG;
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const CHECK_TEXT = 'gyre backup passphrase check';

const encryptionSchema = z.object({
  format: z.literal(1),
  kdf: z.literal('scrypt'),
  salt: z.string().min(16),
  /** CHECK_TEXT encrypted with the key: a wrong passphrase is told before any file is read. */
  check: z.string().min(1),
});

/** The key of a set, from its passphrase. */
export interface SetKey {
  readonly key: Buffer;
}

/**
 * The key for a set: from its `encryption.json`, which the passphrase must open, or, for a set
 * without one and `create`, a new salt written there.
 */
export function setKey(setDir: string, passphrase: string, mode: 'create' | 'open'): SetKey {
  const path = join(setDir, ENCRYPTION_FILE);
  if (!existsSync(path)) {
    if (mode === 'open')
      throw new InvalidInputError('backup', [
        {
          input: path,
          message: 'is missing, so the encrypted backup beside it cannot be opened',
          hint: `copy the backup folder whole: ${ENCRYPTION_FILE} holds the salt of its passphrase`,
        },
      ]);
    const salt = randomBytes(16);
    const key = derive(passphrase, salt);
    const record = { format: 1, kdf: 'scrypt', salt: salt.toString('base64'), check: seal(key, CHECK_TEXT) };
    try {
      // Exclusive: of two backups starting at once into a new folder, one salt wins, and the
      // other opens it.
      writeFileSync(path, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      return { key };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      return setKey(setDir, passphrase, 'open');
    }
  }
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    data = undefined;
  }
  const parsed = encryptionSchema.safeParse(data);
  if (!parsed.success)
    throw new InvalidInputError('backup', [
      {
        input: path,
        message: 'is not an encryption record this Gyre reads',
        hint: 'the backup folder is damaged: restore its encryption.json from a copy, or use another folder',
      },
    ]);
  const key = derive(passphrase, Buffer.from(parsed.data.salt, 'base64'));
  if (open(key, parsed.data.check) !== CHECK_TEXT)
    throw new InvalidInputError('backup', [
      {
        input: '--passphrase-file',
        message: `does not hold the passphrase the backups in ${setDir} were encrypted with`,
        hint: 'give the file with the passphrase this backup folder was made with (nothing was written)',
      },
    ]);
  return { key };
}

/** Encrypts a stream, the file `name` (its path in the set); its output is {@link encryptedSize} of the input's. */
export function encrypting({ key }: SetKey, name: string): Transform {
  let pending = Buffer.alloc(0);
  let index = 0;
  let started = false;
  const record = (plain: Buffer, last: boolean): Buffer => {
    const nonce = randomBytes(NONCE);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(associated(name, index++, last));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([nonce, body, cipher.getAuthTag()]);
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      if (!started) {
        started = true;
        this.push(MAGIC);
      }
      pending = Buffer.concat([pending, chunk]);
      // A full chunk is known not to be the last only once more bytes follow it.
      while (pending.length > CHUNK) {
        this.push(record(pending.subarray(0, CHUNK), false));
        pending = pending.subarray(CHUNK);
      }
      done();
    },
    flush(done: TransformCallback) {
      if (!started) this.push(MAGIC);
      this.push(record(pending, true));
      done();
    },
  });
}

/** Decrypts what {@link encrypting} wrote; fails on a wrong key, a changed byte, or a cut. */
export function decrypting({ key }: SetKey, name: string): Transform {
  let pending = Buffer.alloc(0);
  let index = 0;
  let header = false;
  const fail = (why: string) => new Error(`${name} cannot be decrypted: ${why}`);
  const open = (bytes: Buffer, last: boolean): Buffer => {
    if (bytes.length < NONCE + TAG) throw fail('it ends in the middle of a chunk');
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, NONCE));
    decipher.setAAD(associated(name, index++, last));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG));
    try {
      return Buffer.concat([decipher.update(bytes.subarray(NONCE, bytes.length - TAG)), decipher.final()]);
    } catch {
      throw fail(`chunk ${index - 1} does not open (changed, moved, cut off, another file's, or another passphrase)`);
    }
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      pending = Buffer.concat([pending, chunk]);
      try {
        if (!header) {
          if (pending.length < MAGIC.length) return done();
          if (!pending.subarray(0, MAGIC.length).equals(MAGIC)) throw fail('it is not an encrypted backup file');
          pending = pending.subarray(MAGIC.length);
          header = true;
        }
        while (pending.length > RECORD) {
          this.push(open(pending.subarray(0, RECORD), false));
          pending = pending.subarray(RECORD);
        }
        done();
      } catch (error) {
        done(error as Error);
      }
    },
    flush(done: TransformCallback) {
      try {
        if (!header) throw fail('it is not an encrypted backup file');
        this.push(open(pending, true));
        done();
      } catch (error) {
        done(error as Error);
      }
    },
  });
}

/** The size of `plain` bytes once encrypted. */
export function encryptedSize(plain: number): number {
  const chunks = Math.max(1, Math.ceil(plain / CHUNK));
  return MAGIC.length + plain + chunks * (NONCE + TAG);
}

/** The size of a file's plain bytes, from its encrypted size. */
export function plainSize(encrypted: number): number {
  const body = encrypted - MAGIC.length;
  const chunks = Math.max(1, Math.ceil(body / RECORD));
  return body - chunks * (NONCE + TAG);
}

function derive(passphrase: string, salt: Buffer): Buffer {
  return scryptSync(passphrase.normalize('NFC'), salt, 32, SCRYPT);
}

function associated(name: string, index: number, last: boolean): Buffer {
  const aad = Buffer.alloc(9);
  aad.writeBigUInt64BE(BigInt(index));
  aad[8] = last ? 1 : 0;
  return Buffer.concat([aad, Buffer.from(name, 'utf8')]);
}

function seal(key: Buffer, text: string): string {
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64');
}

function open(key: Buffer, sealed: string): string | undefined {
  const bytes = Buffer.from(sealed, 'base64');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, NONCE));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG));
    return Buffer.concat([decipher.update(bytes.subarray(NONCE, bytes.length - TAG)), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    return undefined;
  }
}
