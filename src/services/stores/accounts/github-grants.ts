/**
 * What GitHub granted an account that signed in with it: its OAuth token, sealed with the
 * installation key, and the role each linked repository's permission gives it, cached with the
 * time it was read. The cache is what project lists filter on, so it is read in SQL too
 * (see visibleTo in project-access.ts).
 */
import type { Database } from '../../database/create-pool.js';
import type { SecretBox } from '../../core/security/secret-box.js';
import type { ProjectRole } from '../../core/access/project-roles.js';

/** How long a role read from GitHub counts. */
export const GITHUB_ROLE_TTL_SECONDS = 300;

export interface CachedRole {
  /** Undefined: GitHub says the account has no access. */
  readonly role: ProjectRole | undefined;
  readonly fresh: boolean;
}

export class GitHubGrants {
  constructor(
    private readonly db: Database,
    private readonly box: SecretBox,
  ) {}

  /** Keeps the token of a new GitHub sign-in, and forgets roles read with an older one. */
  async saveToken(userId: number, token: string): Promise<void> {
    await this.db.query('UPDATE users SET github_token = $2 WHERE id = $1', [userId, this.box.seal(token)]);
    await this.db.query('DELETE FROM github_repository_roles WHERE user_id = $1', [userId]);
  }

  /** The account's GitHub token in clear, or undefined when it has none (a local account). */
  async token(userId: number): Promise<string | undefined> {
    const result = await this.db.query<{ github_token: Buffer | null }>(
      'SELECT github_token FROM users WHERE id = $1',
      [userId],
    );
    const sealed = result.rows[0]?.github_token;
    return sealed ? this.box.open(sealed) : undefined;
  }

  /** Drops a token GitHub no longer accepts. */
  async dropToken(userId: number): Promise<void> {
    await this.db.query('UPDATE users SET github_token = NULL WHERE id = $1', [userId]);
  }

  async cached(userId: number, repository: string): Promise<CachedRole | undefined> {
    const result = await this.db.query<{ role: ProjectRole | null; fresh: boolean }>(
      `SELECT role, checked_at > now() - make_interval(secs => $3) AS fresh
       FROM github_repository_roles WHERE user_id = $1 AND repository = lower($2)`,
      [userId, repository, GITHUB_ROLE_TTL_SECONDS],
    );
    const row = result.rows[0];
    return row && { role: row.role ?? undefined, fresh: row.fresh };
  }

  async remember(userId: number, repository: string, role: ProjectRole | undefined): Promise<void> {
    await this.db.query(
      `INSERT INTO github_repository_roles (user_id, repository, role) VALUES ($1, lower($2), $3)
       ON CONFLICT (user_id, repository) DO UPDATE SET role = EXCLUDED.role, checked_at = now()`,
      [userId, repository, role ?? null],
    );
  }

  /** The linked repositories whose role for the account is not freshly cached. */
  async staleRepositories(userId: number): Promise<string[]> {
    const result = await this.db.query<{ repository: string }>(
      `SELECT DISTINCT p.repository FROM projects p
       WHERE p.repository IS NOT NULL AND NOT EXISTS (
         SELECT 1 FROM github_repository_roles g WHERE g.user_id = $1 AND g.repository = lower(p.repository)
           AND g.checked_at > now() - make_interval(secs => $2))`,
      [userId, GITHUB_ROLE_TTL_SECONDS],
    );
    return result.rows.map((r) => r.repository);
  }
}
