/**
 * Bearer-token authentication for `/api/*`. Tokens are looked up by hash; a revoked or unknown
 * token gets the same 401 so that callers learn nothing about which tokens exist.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Database } from '../database/create-pool.js';
import { hashApiToken, looksLikeApiToken } from '../stores/accounts/api-tokens.js';
import { AuthError } from './error-shape.js';

export interface TokenIdentity {
  readonly tokenId: number;
  readonly name: string;
  /**
   * Whether the token may administer the fleet: a token made on the services box (`gyre tokens
   * create`, no account) or one of an account that is an administrator now, at this request.
   */
  readonly admin: boolean;
  /** The account the token acts for; null for one made on the services box. */
  readonly userId: number | null;
  /** That account's login. */
  readonly login: string | null;
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
  if (!token)
    throw new AuthError(
      401,
      'send an API token as `Authorization: Bearer gyre_pat_...`; create one with `gyre tokens create`',
    );
  if (!looksLikeApiToken(token))
    throw new AuthError(401, 'the API token is malformed; Gyre tokens start with gyre_pat_');
  const result = await db.query<{
    id: string;
    name: string;
    admin: boolean;
    user_id: string | null;
    login: string | null;
  }>(
    `UPDATE api_tokens t SET last_used_at = now() WHERE token_hash = $1 AND revoked_at IS NULL
     RETURNING id, name, user_id, (SELECT login FROM users u WHERE u.id = t.user_id) AS login,
       (user_id IS NULL OR coalesce((SELECT is_admin FROM users u WHERE u.id = t.user_id), false)) AS admin`,
    [hashApiToken(token)],
  );
  const row = result.rows[0];
  if (!row) throw new AuthError(401, 'the API token is unknown or revoked');
  return {
    tokenId: Number(row.id),
    name: row.name,
    admin: row.admin,
    userId: row.user_id === null ? null : Number(row.user_id),
    login: row.login,
  };
}

/** Who the audit log names for a token's action: `token:<its name>`. */
export function tokenActorOf(request: FastifyRequest): string {
  return `token:${request.identity?.name ?? 'unknown'}`;
}
