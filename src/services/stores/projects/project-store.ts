/**
 * Projects and their variables in PostgreSQL. Secrets (the webhook secret and variable values)
 * are sealed with the installation key before they reach the database and are never returned
 * in clear, except the webhook secret to whoever creates the project.
 */
import { randomBytes } from 'node:crypto';
import type { PoolClient } from 'pg';
import type { Database } from '../../database/create-pool.js';
import { withTransaction } from '../../database/with-transaction.js';
import { NOTIFY_CHANNELS } from '../../database/notification-channels.js';
import { writeAudit } from '../audit/audit-log.js';
import type { SecretBox } from '../../core/security/secret-box.js';
import { ConflictError, NotFoundError } from '../../../shared/errors.js';
import type { Caller, Visibility } from '../../core/access/project-roles.js';
import { visibleTo } from './project-access.js';
import { lastFour } from '../../core/security/last-four.js';
import { repositoryOfGitUrl } from '../../../shared/repository-name.js';
import { hideUrlUserInfo } from '../../../shared/git-credential.js';

export interface Project {
  readonly id: number;
  readonly name: string;
  readonly gitUrl: string;
  readonly defaultBranch: string;
  /** Private: seen by its members and administrators; internal: by every signed-in account. */
  readonly visibility: Visibility;
  /** Whether pull requests from forks start pipelines. */
  readonly buildForkPullRequests: boolean;
  /** Whether builds of pull requests from forks get the project's variables. */
  readonly passSecretsToForks: boolean;
  /** Whether a new pipeline on a non-default branch cancels the branch's earlier unfinished ones. */
  readonly autoCancelRedundant: boolean;
  /**
   * Whether its jobs may have Docker in builds (`setup_remote_docker`, the machine executor): an
   * administrator's grant (allowDockerInBuilds), not a project setting its maintainers change.
   */
  readonly dockerInBuilds: boolean;
  /** The GitHub repository (`owner/name`) whose deliveries it accepts and whose commits get statuses; null when unlinked. */
  readonly repository: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface ProjectVariable {
  readonly name: string;
  /** The last 4 characters of the value, so users can tell which value is set. */
  readonly last4: string;
  readonly updatedAt: string;
}

export interface ProjectChanges {
  readonly name?: string;
  readonly gitUrl?: string;
  readonly defaultBranch?: string;
  readonly visibility?: Visibility;
  readonly buildForkPullRequests?: boolean;
  readonly passSecretsToForks?: boolean;
  readonly autoCancelRedundant?: boolean;
  /** null unlinks the project. */
  readonly repository?: string | null;
}

interface ProjectRow {
  id: string;
  name: string;
  git_url: string;
  default_branch: string;
  visibility: Visibility;
  build_fork_prs: boolean;
  pass_secrets_to_forks: boolean;
  auto_cancel_redundant: boolean;
  docker_in_builds: boolean;
  repository: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS =
  'id, name, git_url, default_branch, visibility, build_fork_prs, pass_secrets_to_forks, auto_cancel_redundant, docker_in_builds, repository, created_at, updated_at';
const UNIQUE_VIOLATION = '23505';

export class ProjectStore {
  constructor(
    private readonly db: Database,
    private readonly box: SecretBox,
  ) {}

  /**
   * Creates a project with a generated webhook secret, which is returned this once. The account
   * that creates it becomes its maintainer, in the same statement. Without a `repository`, a
   * github.com git URL links the project to the repository it names.
   */
  async create(
    input: { name: string; gitUrl: string; defaultBranch: string; visibility?: Visibility; repository?: string },
    creator: Caller,
    actor: string,
  ): Promise<{ project: Project; webhookSecret: string }> {
    const webhookSecret = randomBytes(32).toString('hex');
    return withTransaction(this.db, async (client) => {
      const result = await client
        .query<ProjectRow>(
          `WITH created AS (
           INSERT INTO projects (name, git_url, default_branch, webhook_secret, visibility, repository)
           VALUES ($1, $2, $3, $4, $5, $7) RETURNING ${COLUMNS}),
         maintainer AS (
           INSERT INTO project_members (project_id, user_id, role)
           SELECT id, $6, 'maintainer' FROM created WHERE $6::bigint IS NOT NULL)
         SELECT * FROM created`,
          [
            input.name,
            input.gitUrl,
            input.defaultBranch,
            this.box.seal(webhookSecret),
            input.visibility ?? 'private',
            creator.userId,
            input.repository ?? repositoryOfGitUrl(input.gitUrl) ?? null,
          ],
        )
        .catch(rethrowNameTaken(input.name));
      const project = toProject(result.rows[0]!);
      await audit(client, actor, 'project.create', project.id, {
        name: project.name,
        visibility: project.visibility,
        repository: project.repository,
      });
      return { project, webhookSecret };
    });
  }

  /** The projects `caller` may see, by id. */
  async list(caller: Caller, page: { limit: number; after?: number }): Promise<Project[]> {
    const visible = visibleTo(caller, 3);
    const result = await this.db.query<ProjectRow>(
      `SELECT ${COLUMNS} FROM projects p WHERE id > $1 AND ${visible.sql} ORDER BY id LIMIT $2`,
      [page.after ?? 0, page.limit, ...(visible.value === null ? [] : [visible.value])],
    );
    return result.rows.map(toProject);
  }

  async get(id: number): Promise<Project> {
    const result = await this.db.query<ProjectRow>(`SELECT ${COLUMNS} FROM projects WHERE id = $1`, [id]);
    return toProject(found(result.rows[0], id));
  }

  /** Audited with the names of the fields changed and their new values, except the git URL's (it may hold a credential). */
  async update(id: number, changes: ProjectChanges, actor: string): Promise<Project> {
    return withTransaction(this.db, async (client) => {
      const result = await client
        .query<ProjectRow>(
          `UPDATE projects SET name = COALESCE($2, name), git_url = COALESCE($3, git_url), default_branch = COALESCE($4, default_branch),
           visibility = COALESCE($5, visibility), build_fork_prs = COALESCE($6, build_fork_prs),
           pass_secrets_to_forks = COALESCE($7, pass_secrets_to_forks),
           auto_cancel_redundant = COALESCE($10, auto_cancel_redundant),
           repository = CASE WHEN $8 THEN $9 ELSE repository END, updated_at = now()
         WHERE id = $1 RETURNING ${COLUMNS}`,
          [
            id,
            changes.name ?? null,
            changes.gitUrl ?? null,
            changes.defaultBranch ?? null,
            changes.visibility ?? null,
            changes.buildForkPullRequests ?? null,
            changes.passSecretsToForks ?? null,
            changes.repository !== undefined,
            changes.repository ?? null,
            changes.autoCancelRedundant ?? null,
          ],
        )
        .catch(rethrowNameTaken(changes.name ?? ''));
      const project = toProject(found(result.rows[0], id));
      const { gitUrl, ...shown } = changes;
      await audit(client, actor, 'project.update', id, {
        ...shown,
        ...(gitUrl !== undefined && { gitUrl: 'changed' }),
      });
      return project;
    });
  }

  /**
   * Grants or withdraws Docker in builds, audited. A grant wakes the builders' lease long-polls:
   * the project's Docker jobs were passed over while they waited. A withdrawal leaves running jobs
   * alone; the project's queued Docker jobs wait again.
   */
  async allowDockerInBuilds(id: number, allowed: boolean, actor: string): Promise<Project> {
    return withTransaction(this.db, async (client) => {
      const result = await client.query<ProjectRow>(
        `UPDATE projects SET docker_in_builds = $2, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
        [id, allowed],
      );
      const project = toProject(found(result.rows[0], id));
      await audit(client, actor, 'project.docker_in_builds', id, { allowed });
      if (allowed) await client.query('SELECT pg_notify($1, $2)', [NOTIFY_CHANNELS.jobsQueued, '']);
      return project;
    });
  }

  /** A project's webhook secret in clear, for verifying a delivery's signature; undefined when there is no such project. */
  async webhookSecret(projectId: number): Promise<string | undefined> {
    const result = await this.db.query<{ webhook_secret: Buffer }>(
      'SELECT webhook_secret FROM projects WHERE id = $1',
      [projectId],
    );
    const row = result.rows[0];
    return row && this.box.open(row.webhook_secret);
  }

  async remove(id: number, actor: string): Promise<void> {
    await withTransaction(this.db, async (client) => {
      const result = await client.query<{ name: string }>('DELETE FROM projects WHERE id = $1 RETURNING name', [id]);
      const removed = result.rows[0];
      if (!removed) throw new NotFoundError(`project ${id}`);
      await audit(client, actor, 'project.delete', id, { name: removed.name });
    });
  }

  /** Audited with the variable's name, never its value. */
  async setVariable(id: number, name: string, value: string, actor: string): Promise<void> {
    await this.get(id);
    await withTransaction(this.db, async (client) => {
      await client.query(
        `INSERT INTO project_variables (project_id, name, value, last4) VALUES ($1, $2, $3, $4)
         ON CONFLICT (project_id, name) DO UPDATE SET value = EXCLUDED.value, last4 = EXCLUDED.last4, updated_at = now()`,
        [id, name, this.box.seal(value), lastFour(value)],
      );
      await audit(client, actor, 'project.variable_set', id, { variable: name });
    });
  }

  async listVariables(id: number): Promise<ProjectVariable[]> {
    await this.get(id);
    const result = await this.db.query<{ name: string; last4: string; updated_at: Date }>(
      'SELECT name, last4, updated_at FROM project_variables WHERE project_id = $1 ORDER BY name',
      [id],
    );
    return result.rows.map((r) => ({ name: r.name, last4: r.last4, updatedAt: r.updated_at.toISOString() }));
  }

  /** Every variable of a project in clear, for the job that runs with them. */
  async variableValues(id: number): Promise<Record<string, string>> {
    const result = await this.db.query<{ name: string; value: Buffer }>(
      'SELECT name, value FROM project_variables WHERE project_id = $1 ORDER BY name',
      [id],
    );
    return Object.fromEntries(result.rows.map((row) => [row.name, this.box.open(row.value)]));
  }

  async removeVariable(id: number, name: string, actor: string): Promise<void> {
    await withTransaction(this.db, async (client) => {
      const result = await client.query('DELETE FROM project_variables WHERE project_id = $1 AND name = $2', [
        id,
        name,
      ]);
      if (result.rowCount === 0) throw new NotFoundError(`variable ${name} of project ${id}`);
      await audit(client, actor, 'project.variable_remove', id, { variable: name });
    });
  }
}

function audit(client: PoolClient, actor: string, action: string, projectId: number, detail: object): Promise<void> {
  return writeAudit(client, { actor, action, target: `project:${projectId}`, detail });
}

function toProject(row: ProjectRow): Project {
  return {
    id: Number(row.id),
    name: row.name,
    gitUrl: hideUrlUserInfo(row.git_url),
    defaultBranch: row.default_branch,
    visibility: row.visibility,
    buildForkPullRequests: row.build_fork_prs,
    passSecretsToForks: row.pass_secrets_to_forks,
    autoCancelRedundant: row.auto_cancel_redundant,
    dockerInBuilds: row.docker_in_builds,
    repository: row.repository,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function found(row: ProjectRow | undefined, id: number): ProjectRow {
  if (!row) throw new NotFoundError(`project ${id}`);
  return row;
}

function rethrowNameTaken(name: string) {
  return (error: unknown): never => {
    if ((error as { code?: string }).code === UNIQUE_VIOLATION)
      throw new ConflictError(`a project named "${name}" already exists; choose another name`);
    throw error;
  };
}
