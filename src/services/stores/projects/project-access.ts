/**
 * Who may see and change a project: its members and their roles, its visibility, and the role a
 * caller has in the project that a pipeline, workflow, job or delivery belongs to. Member changes
 * write their audit entry in the same transaction.
 */
import type { PoolClient } from 'pg';
import type { Database } from '../../database/create-pool.js';
import { withTransaction } from '../../database/with-transaction.js';
import { writeAudit } from '../audit/audit-log.js';
import { ConflictError, NotFoundError } from '../../../shared/errors.js';
import type {
  Caller,
  ProjectLocator,
  ProjectRole,
  ProjectRoles,
  RepositoryRoles,
} from '../../core/access/project-roles.js';
import { higherRole } from '../../core/access/github-permission.js';
import { GITHUB_ROLE_TTL_SECONDS } from '../accounts/github-grants.js';

export interface ProjectMember {
  readonly userId: number;
  readonly login: string;
  readonly role: ProjectRole;
  readonly addedAt: string;
}

/** SQL that finds the thing `$1` names, with the id of its project (null for a delivery no project took). */
const PROJECT_OF: Readonly<Record<ProjectLocator, string>> = {
  project: 'SELECT id AS project_id FROM projects WHERE id = $1',
  pipeline: 'SELECT project_id FROM pipelines WHERE id = $1',
  workflow: 'SELECT p.project_id FROM workflows w JOIN pipelines p ON p.id = w.pipeline_id WHERE w.id = $1',
  job: `SELECT p.project_id FROM jobs j JOIN workflows w ON w.id = j.workflow_id
        JOIN pipelines p ON p.id = w.pipeline_id WHERE j.id = $1`,
  delivery: 'SELECT project_id FROM webhook_deliveries WHERE id = $1',
};

/**
 * A condition on `projects p` that holds for the projects `caller` may see: all of them for an
 * administrator, else internal ones, those the caller is a member of, and those whose linked
 * repository GitHub lately said the caller may read (refresh the cache first: GitHubRoles).
 * `$n` is the user id.
 */
export function visibleTo(caller: Caller, n: number): { sql: string; value: number | null } {
  if (caller.admin) return { sql: 'true', value: null };
  return {
    sql: `(p.visibility = 'internal' OR EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = p.id AND m.user_id = $${n})
      OR EXISTS (SELECT 1 FROM github_repository_roles g WHERE g.user_id = $${n} AND g.repository = lower(p.repository)
                 AND g.role IS NOT NULL AND g.checked_at > now() - make_interval(secs => ${GITHUB_ROLE_TTL_SECONDS})))`,
    value: caller.userId,
  };
}

export class ProjectAccess implements ProjectRoles {
  /** @param github roles that follow GitHub, for accounts that signed in with it */
  constructor(
    private readonly db: Database,
    private readonly github?: RepositoryRoles,
  ) {}

  /** The highest of: the explicit membership, the GitHub permission's role, viewer of an internal project. */
  async roleIn(caller: Caller, of: ProjectLocator, id: number): Promise<ProjectRole | undefined> {
    const result = await this.db.query<{
      visibility: string | null;
      role: ProjectRole | null;
      repository: string | null;
      has_github: boolean;
    }>(
      `SELECT p.visibility, m.role, p.repository,
         EXISTS (SELECT 1 FROM users u WHERE u.id = $2 AND u.github_token IS NOT NULL) AS has_github
       FROM (${PROJECT_OF[of]}) target
       LEFT JOIN projects p ON p.id = target.project_id
       LEFT JOIN project_members m ON m.project_id = p.id AND m.user_id = $2`,
      [id, caller.userId],
    );
    const row = result.rows[0];
    if (!row) return undefined;
    // Administrators see everything, a delivery that no project took included.
    if (caller.admin) return 'maintainer';
    const fromGitHub =
      this.github && row.has_github && row.repository !== null && caller.userId !== null
        ? await this.github.roleOn(caller.userId, row.repository)
        : undefined;
    return higherRole(
      higherRole(row.role ?? undefined, fromGitHub),
      row.visibility === 'internal' ? 'viewer' : undefined,
    );
  }

  /** Brings the caller's roles from GitHub up to date, before a list of what the caller may see. */
  async refreshFor(caller: Caller): Promise<void> {
    if (this.github && !caller.admin && caller.userId !== null) await this.github.refresh(caller.userId);
  }

  async members(projectId: number): Promise<ProjectMember[]> {
    const result = await this.db.query<{ user_id: string; login: string; role: ProjectRole; added_at: Date }>(
      `SELECT m.user_id, u.login, m.role, m.added_at FROM project_members m JOIN users u ON u.id = m.user_id
       WHERE m.project_id = $1 ORDER BY lower(u.login)`,
      [projectId],
    );
    return result.rows.map((row) => ({
      userId: Number(row.user_id),
      login: row.login,
      role: row.role,
      addedAt: row.added_at.toISOString(),
    }));
  }

  /** Adds the account `login` with `role`, or changes its role; audited as `actor`'s. */
  async setMember(projectId: number, login: string, role: ProjectRole, actor: string): Promise<ProjectMember> {
    return withTransaction(this.db, async (client) => {
      const user = await client.query<{ id: string; login: string }>(
        'SELECT id, login FROM users WHERE lower(login) = lower($1)',
        [login],
      );
      const found = user.rows[0];
      if (!found) throw new NotFoundError(`the account "${login}"`);
      if (role !== 'maintainer') await refuseLastMaintainer(client, projectId, found.login);
      const result = await client.query<{ added_at: Date }>(
        `INSERT INTO project_members (project_id, user_id, role) VALUES ($1, $2, $3)
         ON CONFLICT (project_id, user_id) DO UPDATE SET role = EXCLUDED.role RETURNING added_at`,
        [projectId, found.id, role],
      );
      await writeAudit(client, {
        actor,
        action: 'project.member_set',
        target: `project:${projectId}`,
        detail: { login: found.login, role },
      });
      return { userId: Number(found.id), login: found.login, role, addedAt: result.rows[0]!.added_at.toISOString() };
    });
  }

  /** Removes a member; the last maintainer stays, so that someone can still manage the project. */
  async removeMember(projectId: number, login: string, actor: string): Promise<void> {
    await withTransaction(this.db, async (client) => {
      const rows = await client.query<{ login: string; role: ProjectRole }>(
        `SELECT u.login, m.role FROM project_members m JOIN users u ON u.id = m.user_id WHERE m.project_id = $1`,
        [projectId],
      );
      const member = rows.rows.find((row) => row.login.toLowerCase() === login.toLowerCase());
      if (!member) throw new NotFoundError(`a member "${login}" of project ${projectId}`);
      await refuseLastMaintainer(client, projectId, member.login);
      await client.query(
        `DELETE FROM project_members m USING users u WHERE m.project_id = $1 AND u.id = m.user_id AND lower(u.login) = lower($2)`,
        [projectId, login],
      );
      await writeAudit(client, {
        actor,
        action: 'project.member_remove',
        target: `project:${projectId}`,
        detail: { login: member.login },
      });
    });
  }
}

/**
 * Refuses to take the maintainer role from `login` when it is the project's only maintainer, so
 * someone can still manage the project. Locks the project row first: two maintainers demoting or
 * removing each other at once are serialised, and the second sees the first's change.
 */
async function refuseLastMaintainer(client: PoolClient, projectId: number, login: string): Promise<void> {
  await client.query('SELECT 1 FROM projects WHERE id = $1 FOR UPDATE', [projectId]);
  const maintainers = await client.query<{ login: string }>(
    `SELECT u.login FROM project_members m JOIN users u ON u.id = m.user_id
     WHERE m.project_id = $1 AND m.role = 'maintainer'`,
    [projectId],
  );
  const logins = maintainers.rows.map((row) => row.login.toLowerCase());
  if (logins.length === 1 && logins[0] === login.toLowerCase())
    throw new ConflictError(`${login} is the project's last maintainer; make another member a maintainer first`);
}
