/**
 * API tokens: random, with a recognisable prefix so that secret scanners and people can tell a
 * leaked Gyre token at a glance, shown once, and stored only as a SHA-256 hash. A hash (not a
 * slow KDF) is enough because the token has 256 bits of entropy.
 */
import { createHash, randomBytes } from 'node:crypto';
import { NotFoundError } from '../../../shared/errors.js';
import type { Database } from '../../database/create-pool.js';

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

/** Stores a new token's hash and returns the token, to be shown once; `userId` is who it acts for. */
export async function createApiToken(
  db: Database,
  name: string,
  userId?: number,
): Promise<{ id: number; token: string }> {
  const created = generateApiToken();
  const result = await db.query<{ id: string }>(
    'INSERT INTO api_tokens (name, token_hash, prefix, user_id) VALUES ($1, $2, $3, $4) RETURNING id',
    [name, created.hash, created.displayPrefix, userId ?? null],
  );
  return { id: Number(result.rows[0]!.id), token: created.token };
}

/** A token as its owner sees it: never the token itself, which is not stored. */
export interface ApiTokenListing {
  readonly id: number;
  readonly name: string;
  readonly prefix: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
}

export async function listUserTokens(db: Database, userId: number): Promise<ApiTokenListing[]> {
  const result = await db.query<{
    id: string;
    name: string;
    prefix: string;
    created_at: Date;
    last_used_at: Date | null;
    revoked_at: Date | null;
  }>(
    'SELECT id, name, prefix, created_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY id DESC',
    [userId],
  );
  return result.rows.map((r) => ({
    id: Number(r.id),
    name: r.name,
    prefix: r.prefix,
    createdAt: r.created_at.toISOString(),
    lastUsedAt: r.last_used_at?.toISOString() ?? null,
    revokedAt: r.revoked_at?.toISOString() ?? null,
  }));
}

/**
 * Revokes one of a user's tokens. Someone else's token is "not found", like an unknown one, so
 * that users learn nothing about tokens that are not theirs.
 */
export async function revokeUserToken(db: Database, userId: number, tokenId: number): Promise<void> {
  const result = await db.query(
    'UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 AND user_id = $2',
    [tokenId, userId],
  );
  if (result.rowCount === 0) throw new NotFoundError(`API token ${tokenId}`);
}
