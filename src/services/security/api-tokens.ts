/**
 * API tokens: random, with a recognisable prefix so that secret scanners and people can tell a
 * leaked Gyre token at a glance, shown once, and stored only as a SHA-256 hash. A hash (not a
 * slow KDF) is enough because the token has 256 bits of entropy.
 */
import { createHash, randomBytes } from 'node:crypto';

export const API_TOKEN_PREFIX = 'gyre_pat_';

export interface NewApiToken {
  /** The token itself: give it to the user once, never store it. */
  readonly token: string;
  readonly hash: Buffer;
  /** The first characters, stored to let users tell their tokens apart. */
  readonly displayPrefix: string;
}

export function generateApiToken(): NewApiToken {
  const token = `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashApiToken(token), displayPrefix: token.slice(0, API_TOKEN_PREFIX.length + 6) };
}

export function hashApiToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Whether a string has the shape of a Gyre token, before any database look-up. */
export function looksLikeApiToken(value: string): boolean {
  return value.startsWith(API_TOKEN_PREFIX) && /^[A-Za-z0-9_-]{43}$/.test(value.slice(API_TOKEN_PREFIX.length));
}
