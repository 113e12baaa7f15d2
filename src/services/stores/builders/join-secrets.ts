/**
 * Join secrets: what a new builder presents to join. Stored as hashes. Rotation makes a new
 * secret current and lets the previous one keep working for a grace period, so builders being
 * rolled onto the new secret are not locked out meanwhile.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from '../../database/create-pool.js';

const hash = (secret: string) => createHash('sha256').update(secret, 'utf8').digest();

export class JoinSecrets {
  constructor(private readonly db: Database) {}

  /** Makes the configured secret (GYRE_JOIN_SECRET) valid when no secret has been stored yet. */
  async seed(configured: string): Promise<void> {
    await this.db.query(
      'INSERT INTO join_secrets (secret_hash) SELECT $1 WHERE NOT EXISTS (SELECT 1 FROM join_secrets)',
      [hash(configured)],
    );
  }

  async isValid(secret: string): Promise<boolean> {
    const result = await this.db.query<{ secret_hash: Buffer }>(
      'SELECT secret_hash FROM join_secrets WHERE expires_at IS NULL OR expires_at > now()',
    );
    const presented = hash(secret);
    // Compare against every valid hash, so the time taken does not tell which one matched.
    return result.rows.map((row) => timingSafeEqual(row.secret_hash, presented)).includes(true);
  }

  /** When the current secret was set, and until when the one it replaced still works. */
  async age(): Promise<{ createdAt: string; previousValidUntil: string | null }> {
    const { rows } = await this.db.query<{ created_at: Date; previous: Date | null }>(
      `SELECT (SELECT created_at FROM join_secrets WHERE expires_at IS NULL ORDER BY id DESC LIMIT 1) AS created_at,
              (SELECT max(expires_at) FROM join_secrets WHERE expires_at > now()) AS previous`,
    );
    return {
      createdAt: rows[0]!.created_at.toISOString(),
      previousValidUntil: rows[0]!.previous?.toISOString() ?? null,
    };
  }

  /**
   * Issues a new current secret; the previous ones stop working after `graceMs`. Returns it once.
   * The audit entry naming `actor` is written by the same statement, so the log cannot miss one.
   */
  async rotate(graceMs: number, actor: string): Promise<string> {
    const secret = randomBytes(32).toString('base64url');
    await this.db.query(
      `WITH retired AS (UPDATE join_secrets SET expires_at = now() + make_interval(secs => $2::double precision / 1000) WHERE expires_at IS NULL),
            issued AS (INSERT INTO join_secrets (secret_hash) VALUES ($1) RETURNING id)
       INSERT INTO audit_log (actor, action, target, detail) SELECT $3, 'join_secret.rotate', NULL, jsonb_build_object('graceSeconds', $2::double precision / 1000) FROM issued`,
      [hash(secret), graceMs, actor],
    );
    return secret;
  }
}
