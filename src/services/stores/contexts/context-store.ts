/**
 * Contexts in PostgreSQL: named sets of variables sealed with the installation key, with who may
 * use them (account groups, or everyone) and which projects may. Every change writes its audit
 * entry in the same transaction, without values. Values leave only through {@link values}, for
 * the lease of a job that may use them.
 */
import type { PoolClient } from 'pg';
import type { Database } from '../../database/create-pool.js';
import { withTransaction } from '../../database/with-transaction.js';
import { writeAudit } from '../audit/audit-log.js';
import type { SecretBox } from '../../core/security/secret-box.js';
import { lastFour } from '../../core/security/last-four.js';
import type { ContextFacts, PipelineActor } from '../../core/access/context-access.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../../../shared/errors.js';

export interface ContextVariable {
  readonly name: string;
  readonly last4: string;
  readonly updatedAt: string;
}

export interface Context {
  readonly name: string;
  /** The groups whose members may use it; null: every account. */
  readonly groups: readonly string[] | null;
  /** The projects that may use it; null: every project. */
  readonly projects: readonly { readonly id: number; readonly name: string }[] | null;
  readonly variables: readonly ContextVariable[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Who may use a context; null lifts that restriction. */
export interface ContextRestrictions {
  readonly groups: readonly string[] | null;
  readonly projects: readonly number[] | null;
}

interface ContextRow {
  id: string;
  name: string;
  groups_restricted: boolean;
  projects_restricted: boolean;
  created_at: Date;
  updated_at: Date;
}

const UNIQUE_VIOLATION = '23505';

export class ContextStore {
  constructor(
    private readonly db: Database,
    private readonly box: SecretBox,
  ) {}

  async list(): Promise<Context[]> {
    const rows = await this.db.query<ContextRow>('SELECT * FROM contexts ORDER BY lower(name)');
    const contexts: Context[] = [];
    for (const row of rows.rows) contexts.push(await this.describe(this.db, row));
    return contexts;
  }

  async get(name: string): Promise<Context> {
    return this.describe(this.db, await this.row(this.db, name));
  }

  async create(name: string, actor: string): Promise<Context> {
    return withTransaction(this.db, async (client) => {
      const created = await client
        .query<ContextRow>('INSERT INTO contexts (name) VALUES ($1) RETURNING *', [name])
        .catch((error: unknown) => {
          if ((error as { code?: string }).code === UNIQUE_VIOLATION)
            throw new ConflictError(`a context named "${name}" already exists; choose another name`);
          throw error;
        });
      await audit(client, actor, 'context.create', name, {});
      return this.describe(client, created.rows[0]!);
    });
  }

  async remove(name: string, actor: string): Promise<void> {
    await withTransaction(this.db, async (client) => {
      const removed = await client.query('DELETE FROM contexts WHERE name = $1', [name]);
      if (removed.rowCount === 0) throw new NotFoundError(`context "${name}"`);
      await audit(client, actor, 'context.delete', name, {});
    });
  }

  async setVariable(context: string, name: string, value: string, actor: string): Promise<void> {
    await withTransaction(this.db, async (client) => {
      const row = await this.row(client, context, true);
      await client.query(
        `INSERT INTO context_variables (context_id, name, value, last4) VALUES ($1, $2, $3, $4)
         ON CONFLICT (context_id, name) DO UPDATE SET value = EXCLUDED.value, last4 = EXCLUDED.last4, updated_at = now()`,
        [row.id, name, this.box.seal(value), lastFour(value)],
      );
      await touch(client, row.id);
      await audit(client, actor, 'context.variable_set', context, { variable: name });
    });
  }

  async removeVariable(context: string, name: string, actor: string): Promise<void> {
    await withTransaction(this.db, async (client) => {
      const row = await this.row(client, context, true);
      const removed = await client.query('DELETE FROM context_variables WHERE context_id = $1 AND name = $2', [
        row.id,
        name,
      ]);
      if (removed.rowCount === 0) throw new NotFoundError(`variable ${name} of context "${context}"`);
      await touch(client, row.id);
      await audit(client, actor, 'context.variable_remove', context, { variable: name });
    });
  }

  /** Replaces both restrictions; every unknown group or project is named at once, and nothing changes then. */
  async restrict(context: string, restrictions: ContextRestrictions, actor: string): Promise<Context> {
    return withTransaction(this.db, async (client) => {
      const row = await this.row(client, context, true);
      const groupIds = await idsOf(client, 'account_groups', 'name', restrictions.groups ?? []);
      const projectIds = await idsOf(client, 'projects', 'id', restrictions.projects ?? []);
      const missing = [
        ...groupIds.missing.map((name) => ({ input: 'groups', message: `there is no group "${name}"` })),
        ...projectIds.missing.map((id) => ({ input: 'projects', message: `there is no project ${id}` })),
      ];
      if (missing.length > 0) throw new InvalidInputError('request body', missing);
      await client.query(
        'UPDATE contexts SET groups_restricted = $2, projects_restricted = $3, updated_at = now() WHERE id = $1',
        [row.id, restrictions.groups !== null, restrictions.projects !== null],
      );
      await client.query('DELETE FROM context_groups WHERE context_id = $1', [row.id]);
      await client.query('DELETE FROM context_projects WHERE context_id = $1', [row.id]);
      await client.query(
        'INSERT INTO context_groups (context_id, group_id) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING',
        [row.id, groupIds.found],
      );
      await client.query(
        'INSERT INTO context_projects (context_id, project_id) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING',
        [row.id, projectIds.found],
      );
      await audit(client, actor, 'context.restrict', context, {
        groups: restrictions.groups,
        projects: restrictions.projects,
      });
      return this.describe(client, await this.row(client, context));
    });
  }

  /** What decides whether a job of `projectId`, started by `actor`, may use each of `names`. */
  async facts(names: readonly string[], projectId: number, actor: PipelineActor): Promise<ContextFacts[]> {
    const result = await this.db.query<{
      name: string;
      project_allowed: boolean;
      account_allowed: boolean;
      groups: string[] | null;
    }>(
      `WITH actor AS (
         SELECT id FROM users WHERE id = $3
         UNION SELECT id FROM users WHERE github_id IS NOT NULL AND lower(login) = lower($4))
       SELECT c.name,
         (NOT c.projects_restricted OR EXISTS (SELECT 1 FROM context_projects cp WHERE cp.context_id = c.id AND cp.project_id = $2)) AS project_allowed,
         (NOT c.groups_restricted OR EXISTS (SELECT 1 FROM context_groups cg JOIN account_group_members m ON m.group_id = cg.group_id
                                             WHERE cg.context_id = c.id AND m.user_id IN (SELECT id FROM actor))) AS account_allowed,
         CASE WHEN c.groups_restricted THEN ARRAY(SELECT g.name FROM context_groups cg JOIN account_groups g ON g.id = cg.group_id
                                                  WHERE cg.context_id = c.id ORDER BY g.name) END AS groups
       FROM contexts c WHERE c.name = ANY($1::text[])`,
      [names, projectId, actor.kind === 'account' ? actor.userId : null, actor.kind === 'github' ? actor.login : null],
    );
    return names.map((name) => {
      const row = result.rows.find((r) => r.name === name);
      return row
        ? {
            name,
            exists: true,
            projectAllowed: row.project_allowed,
            accountAllowed: row.account_allowed,
            groups: row.groups,
          }
        : { name, exists: false, projectAllowed: false, accountAllowed: false, groups: null };
    });
  }

  /** The variables of `names` in clear, merged in order (a later context's value wins). */
  async values(names: readonly string[]): Promise<Record<string, string>> {
    if (names.length === 0) return {};
    const result = await this.db.query<{ context: string; name: string; value: Buffer }>(
      `SELECT c.name AS context, v.name, v.value FROM context_variables v JOIN contexts c ON c.id = v.context_id
       WHERE c.name = ANY($1::text[]) ORDER BY v.name`,
      [names],
    );
    const merged: Record<string, string> = {};
    for (const context of names)
      for (const row of result.rows.filter((r) => r.context === context)) merged[row.name] = this.box.open(row.value);
    return merged;
  }

  private async row(client: Database | PoolClient, name: string, lock = false): Promise<ContextRow> {
    const result = await client.query<ContextRow>(
      `SELECT * FROM contexts WHERE name = $1${lock ? ' FOR UPDATE' : ''}`,
      [name],
    );
    const row = result.rows[0];
    if (!row) throw new NotFoundError(`context "${name}"`);
    return row;
  }

  private async describe(client: Database | PoolClient, row: ContextRow): Promise<Context> {
    // One query at a time: the client may be a transaction's.
    const groups = await client.query<{ name: string }>(
      'SELECT g.name FROM context_groups cg JOIN account_groups g ON g.id = cg.group_id WHERE cg.context_id = $1 ORDER BY g.name',
      [row.id],
    );
    const projects = await client.query<{ id: string; name: string }>(
      'SELECT p.id, p.name FROM context_projects cp JOIN projects p ON p.id = cp.project_id WHERE cp.context_id = $1 ORDER BY p.name',
      [row.id],
    );
    const variables = await client.query<{ name: string; last4: string; updated_at: Date }>(
      'SELECT name, last4, updated_at FROM context_variables WHERE context_id = $1 ORDER BY name',
      [row.id],
    );
    return {
      name: row.name,
      groups: row.groups_restricted ? groups.rows.map((g) => g.name) : null,
      projects: row.projects_restricted ? projects.rows.map((p) => ({ id: Number(p.id), name: p.name })) : null,
      variables: variables.rows.map((v) => ({ name: v.name, last4: v.last4, updatedAt: v.updated_at.toISOString() })),
      createdAt: row.created_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
    };
  }
}

async function touch(client: PoolClient, contextId: string): Promise<void> {
  await client.query('UPDATE contexts SET updated_at = now() WHERE id = $1', [contextId]);
}

function audit(client: PoolClient, actor: string, action: string, context: string, detail: object): Promise<void> {
  return writeAudit(client, { actor, action, target: `context:${context}`, detail });
}

/** The ids of rows whose `column` is one of `keys`, and the keys no row has. */
async function idsOf<K extends string | number>(
  client: PoolClient,
  table: 'account_groups' | 'projects',
  column: 'name' | 'id',
  keys: readonly K[],
): Promise<{ found: string[]; missing: K[] }> {
  if (keys.length === 0) return { found: [], missing: [] };
  const result = await client.query<{ id: string; key: string }>(
    `SELECT id, ${column}::text AS key FROM ${table} WHERE ${column}::text = ANY($1::text[])`,
    [keys.map(String)],
  );
  const known = new Set(result.rows.map((r) => r.key));
  return { found: result.rows.map((r) => r.id), missing: keys.filter((k) => !known.has(String(k))) };
}
