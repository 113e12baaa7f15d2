/**
 * Browser sessions. The cookie holds 32 random bytes; the database holds their SHA-256, so a
 * leaked database gives no usable session. Each session has its own CSRF token, which every form
 * posted with that session must carry. User-UI and admin-console sessions are separate scopes:
 * a cookie of one is never accepted by the other listener.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '../../database/create-pool.js';

export type SessionScope = 'user' | 'admin';

export interface Session {
  /** NULL for the admin console's built-in administrator. */
  readonly userId: number | null;
  readonly scope: SessionScope;
  readonly csrfToken: string;
}

/** How long a session lasts without a new sign-in. */
export const SESSION_TTL_MS = 12 * 3_600_000;

const hashOf = (value: string) => createHash('sha256').update(value, 'utf8').digest();

export class SessionStore {
  constructor(private readonly db: Database) {}

  /** Starts a session; resolves to the cookie value. */
  async create(scope: SessionScope, userId: number | null): Promise<{ cookie: string; session: Session }> {
    const cookie = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(24).toString('base64url');
    await this.db.query(
      'INSERT INTO sessions (id_hash, user_id, scope, csrf_token, expires_at) VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5::double precision / 1000))',
      [hashOf(cookie), userId, scope, csrfToken, SESSION_TTL_MS],
    );
    return { cookie, session: { userId, scope, csrfToken } };
  }

  /** The live session of a cookie in a scope, or undefined. */
  async find(cookie: string, scope: SessionScope): Promise<Session | undefined> {
    const result = await this.db.query<{ user_id: string | null; csrf_token: string }>(
      'SELECT user_id, csrf_token FROM sessions WHERE id_hash = $1 AND scope = $2 AND expires_at > now()',
      [hashOf(cookie), scope],
    );
    const row = result.rows[0];
    return row && { userId: row.user_id === null ? null : Number(row.user_id), scope, csrfToken: row.csrf_token };
  }

  async end(cookie: string): Promise<void> {
    await this.db.query('DELETE FROM sessions WHERE id_hash = $1 OR expires_at < now()', [hashOf(cookie)]);
  }
}
