/**
 * Bearer-token authentication for `/api/*`. Tokens are looked up by hash; a revoked or unknown
 * token gets the same 401 so that callers learn nothing about which tokens exist.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Database } from '../database/create-pool.js';
import { hashApiToken, looksLikeApiToken } from '../security/api-tokens.js';
import { AuthError } from './error-shape.js';

export interface TokenIdentity {
  readonly tokenId: number;
  readonly name: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    identity?: TokenIdentity;
  }
}

export function registerTokenAuth(app: FastifyInstance, db: Database): void {
  app.addHook('onRequest', async (request) => {
    request.identity = await identify(request, db);
  });
}

async function identify(request: FastifyRequest, db: Database): Promise<TokenIdentity> {
  const header = request.headers.authorization;
  const token = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
  if (!token) throw new AuthError(401, 'send an API token as `Authorization: Bearer gyre_pat_...`; create one with `gyre tokens create`');
  if (!looksLikeApiToken(token)) throw new AuthError(401, 'the API token is malformed; Gyre tokens start with gyre_pat_');
  const result = await db.query<{ id: string; name: string }>(
    'UPDATE api_tokens SET last_used_at = now() WHERE token_hash = $1 AND revoked_at IS NULL RETURNING id, name',
    [hashApiToken(token)],
  );
  const row = result.rows[0];
  if (!row) throw new AuthError(401, 'the API token is unknown or revoked');
  return { tokenId: Number(row.id), name: row.name };
}
