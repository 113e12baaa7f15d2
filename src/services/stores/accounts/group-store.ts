/**
 * Account groups: named sets of accounts, used to restrict who may use a context. Managed by
 * administrators; every change writes its audit entry in the same transaction.
 */
import type { PoolClient } from 'pg';
import type { Database } from '../../database/create-pool.js';
import { withTransaction } from '../../database/with-transaction.js';
import { writeAudit } from '../audit/audit-log.js';
import { ConflictError, NotFoundError } from '../../../shared/errors.js';

export interface AccountGroup {
  readonly name: string;
  /** Member logins, in alphabetical order. */
  readonly members: readonly string[];
  readonly createdAt: string;
}

const UNIQUE_VIOLATION = '23505';

export class GroupStore {
  constructor(private readonly db: Database) {}

  async list(): Promise<AccountGroup[]> {
    const result = await this.db.query<{ name: string; members: string[]; created_at: Date }>(
      `SELECT g.name, g.created_at,
         ARRAY(SELECT u.login FROM account_group_members m JOIN users u ON u.id = m.user_id
               WHERE m.group_id = g.id ORDER BY lower(u.login)) AS members
       FROM account_groups g ORDER BY lower(g.name)`,
    );
    return result.rows.map((row) => ({
      name: row.name,
      members: row.members,
      createdAt: row.created_at.toISOString(),
    }));
  }

  async create(name: string, actor: string): Promise<void> {
    await withTransaction(this.db, async (client) => {
      await client.query('INSERT INTO account_groups (name) VALUES ($1)', [name]).catch((error: unknown) => {
        if ((error as { code?: string }).code === UNIQUE_VIOLATION)
          throw new ConflictError(`a group named "${name}" already exists; choose another name`);
        throw error;
      });
      await audit(client, actor, 'group.create', name, {});
    });
  }

  /** Deletes a group; contexts restricted to it stay restricted (to their other groups, or to nobody). */
  async remove(name: string, actor: string): Promise<void> {
    await withTransaction(this.db, async (client) => {
      const removed = await client.query('DELETE FROM account_groups WHERE name = $1', [name]);
      if (removed.rowCount === 0) throw new NotFoundError(`group "${name}"`);
      await audit(client, actor, 'group.delete', name, {});
    });
  }

  async addMember(group: string, login: string, actor: string): Promise<void> {
    await withTransaction(this.db, async (client) => {
      const [groupId, user] = [await groupIdOf(client, group), await accountOf(client, login)];
      await client.query(
        'INSERT INTO account_group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
        [groupId, user.id],
      );
      await audit(client, actor, 'group.member_add', group, { login: user.login });
    });
  }

  async removeMember(group: string, login: string, actor: string): Promise<void> {
    await withTransaction(this.db, async (client) => {
      const [groupId, user] = [await groupIdOf(client, group), await accountOf(client, login)];
      const removed = await client.query('DELETE FROM account_group_members WHERE group_id = $1 AND user_id = $2', [
        groupId,
        user.id,
      ]);
      if (removed.rowCount === 0) throw new NotFoundError(`a member "${login}" of group "${group}"`);
      await audit(client, actor, 'group.member_remove', group, { login: user.login });
    });
  }
}

async function groupIdOf(client: PoolClient, name: string): Promise<string> {
  const result = await client.query<{ id: string }>('SELECT id FROM account_groups WHERE name = $1', [name]);
  const id = result.rows[0]?.id;
  if (id === undefined) throw new NotFoundError(`group "${name}"`);
  return id;
}

async function accountOf(client: PoolClient, login: string): Promise<{ id: string; login: string }> {
  const result = await client.query<{ id: string; login: string }>(
    'SELECT id, login FROM users WHERE lower(login) = lower($1)',
    [login],
  );
  const user = result.rows[0];
  if (!user) throw new NotFoundError(`the account "${login}"`);
  return user;
}

function audit(client: PoolClient, actor: string, action: string, group: string, detail: object): Promise<void> {
  return writeAudit(client, { actor, action, target: `group:${group}`, detail });
}
