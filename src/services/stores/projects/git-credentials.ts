/**
 * Each project's credential for its private repository, in `project_git_credentials`: an https
 * token or a deploy key that Gyre generates, sealed with the installation key. Only the services
 * box's git and the lease of a job's checkout ever get it in clear; maintainers see the kind, the
 * token's user name and last 4 characters, or the deploy key's public half. Every change writes its
 * audit entry (without the secret) in the same transaction.
 */
import type { Database } from '../../database/create-pool.js';
import { withTransaction } from '../../database/with-transaction.js';
import { writeAudit } from '../audit/audit-log.js';
import type { SecretBox } from '../../core/security/secret-box.js';
import { fingerprintOf, generateDeployKey } from '../../core/security/deploy-key.js';
import { NotFoundError } from '../../../shared/errors.js';
import { DEFAULT_TOKEN_USERNAME, type GitCredential, type RepositoryAccess } from '../../../shared/git-credential.js';

/** What a maintainer asks for: a token they were given, or a deploy key Gyre makes. */
export type GitCredentialInput =
  { readonly kind: 'token'; readonly token: string; readonly username?: string } | { readonly kind: 'deploy-key' };

/** What may be shown of a credential: never the secret. */
export interface GitCredentialSummary {
  readonly kind: 'token' | 'deploy-key';
  /** The token's user name. */
  readonly username?: string;
  /** The token's last 4 characters; empty for a token shorter than 8. */
  readonly last4?: string;
  /** The deploy key's public half (`ssh-ed25519 …`), to add to the repository as a read-only deploy key. */
  readonly publicKey?: string;
  /** The deploy key's SHA256 fingerprint, as GitHub shows it. */
  readonly fingerprint?: string;
  readonly updatedAt: string;
}

interface CredentialRow {
  id: string;
  kind: 'token' | 'deploy-key';
  username: string | null;
  secret: Buffer;
  public_key: string | null;
  last4: string;
  updated_at: Date;
}

export class GitCredentialStore {
  constructor(
    private readonly db: Database,
    private readonly box: SecretBox,
  ) {}

  /** Sets (or replaces) the project's credential; a deploy key is generated here. */
  async set(projectId: number, input: GitCredentialInput, actor: string): Promise<GitCredentialSummary> {
    const sealed =
      input.kind === 'token'
        ? { username: input.username ?? DEFAULT_TOKEN_USERNAME, secret: input.token, publicKey: null }
        : deployKeyOf(projectId);
    const last4 = input.kind === 'token' && input.token.length >= 8 ? input.token.slice(-4) : '';
    return withTransaction(this.db, async (client) => {
      const result = await client.query<CredentialRow>(
        `INSERT INTO project_git_credentials (project_id, kind, username, secret, public_key, last4)
         SELECT id, $2, $3, $4, $5, $6 FROM projects WHERE id = $1
         ON CONFLICT (project_id) DO UPDATE SET id = gen_random_uuid(), kind = EXCLUDED.kind,
           username = EXCLUDED.username, secret = EXCLUDED.secret, public_key = EXCLUDED.public_key,
           last4 = EXCLUDED.last4, updated_at = now()
         RETURNING *`,
        [projectId, input.kind, sealed.username, this.box.seal(sealed.secret), sealed.publicKey, last4],
      );
      const row = result.rows[0];
      if (!row) throw new NotFoundError(`project ${projectId}`);
      const summary = toSummary(row);
      await writeAudit(client, {
        actor,
        action: 'project.credential_set',
        target: `project:${projectId}`,
        detail: {
          kind: summary.kind,
          ...(summary.username !== undefined && { username: summary.username }),
          ...(summary.fingerprint !== undefined && { fingerprint: summary.fingerprint }),
        },
      });
      return summary;
    });
  }

  /** The credential as it may be shown, or undefined when the project has none. */
  async summary(projectId: number): Promise<GitCredentialSummary | undefined> {
    const row = await this.row(projectId);
    return row && toSummary(row);
  }

  /** Removes the credential; git then fetches anonymously (into another mirror). */
  async remove(projectId: number, actor: string): Promise<void> {
    await withTransaction(this.db, async (client) => {
      const result = await client.query('DELETE FROM project_git_credentials WHERE project_id = $1', [projectId]);
      if (result.rowCount === 0) throw new NotFoundError(`the git credential of project ${projectId}`);
      await writeAudit(client, {
        actor,
        action: 'project.credential_remove',
        target: `project:${projectId}`,
        detail: {},
      });
    });
  }

  /** The credential in clear, for the checkout of a job of the project; undefined without one. */
  async credentialOf(projectId: number): Promise<GitCredential | undefined> {
    const row = await this.row(projectId);
    return row && this.open(row);
  }

  /** How the services box reaches the project's repository: its URL, its mirror's scope and credential. */
  async accessOf(project: { readonly id: number; readonly gitUrl: string }): Promise<RepositoryAccess> {
    const row = await this.row(project.id);
    return {
      scope: `project:${project.id}/credential:${row?.id ?? 'none'}`,
      gitUrl: project.gitUrl,
      ...(row && { credential: this.open(row) }),
    };
  }

  private async row(projectId: number): Promise<CredentialRow | undefined> {
    const result = await this.db.query<CredentialRow>('SELECT * FROM project_git_credentials WHERE project_id = $1', [
      projectId,
    ]);
    return result.rows[0];
  }

  private open(row: CredentialRow): GitCredential {
    const secret = this.box.open(row.secret);
    return row.kind === 'token'
      ? { kind: 'token', username: row.username ?? DEFAULT_TOKEN_USERNAME, token: secret }
      : { kind: 'deploy-key', privateKey: secret };
  }
}

function deployKeyOf(projectId: number): { username: null; secret: string; publicKey: string } {
  const key = generateDeployKey(`gyre-project-${projectId}`);
  return { username: null, secret: key.privateKey, publicKey: key.publicKey };
}

function toSummary(row: CredentialRow): GitCredentialSummary {
  const updatedAt = row.updated_at.toISOString();
  if (row.kind === 'deploy-key' && row.public_key !== null)
    return { kind: row.kind, publicKey: row.public_key, fingerprint: fingerprintOf(row.public_key), updatedAt };
  return { kind: row.kind, username: row.username ?? DEFAULT_TOKEN_USERNAME, last4: row.last4, updatedAt };
}
