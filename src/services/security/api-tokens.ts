/**
 * API tokens: random, with a recognisable prefix so that secret scanners and people can tell a
 * leaked Gyre token at a glance, shown once, and stored only as a SHA-256 hash. A hash (not a
 * slow KDF) is enough because the token has 256 bits of entropy.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '../database/create-pool.js';

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

/** Stores a new token's hash and returns the token, to be shown once. */
export async function createApiToken(db: Database, name: string): Promise<{ id: number; token: string }> {
  const created = generateApiToken();
  const result = await db.query<{ id: string }>('INSERT INTO api_tokens (name, token_hash, prefix) VALUES ($1, $2, $3) RETURNING id', [name, created.hash, created.displayPrefix]);
  return { id: Number(result.rows[0]!.id), token: created.token };
}
