/**
 * Accounts. An account someone makes for themselves (sign-up, first GitHub sign-in) is never an
 * administrator, not even the first: the first administrator is the admin console's built-in
 * `admin` (GYRE_ADMIN_PASSWORD) or an account made with `gyre accounts create --admin` on the
 * services box, so that whoever reaches a new install first cannot take it over. Every change of
 * who exists or who is an administrator runs under one lock, so two administrators demoting each
 * other at once cannot leave the console without one.
 */
import type pg from 'pg';
import type { Database } from '../../database/create-pool.js';
import { withTransaction } from '../../database/with-transaction.js';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from '../../../shared/errors.js';
import { hashPassword } from '../../core/security/passwords.js';

export interface User {
  readonly id: number;
  readonly login: string;
  readonly isAdmin: boolean;
  readonly githubId: number | null;
}

/** An account as the admin console lists it. */
export interface Account extends User {
  readonly hasPassword: boolean;
  readonly createdAt: string;
}

/**
 * Who makes an account: the person, signing up (refused while sign-up is closed; never an
 * administrator), or an administrator, who says whether it is one.
 */
export type AccountCreator =
  | { readonly by: 'self'; readonly signupOpen: boolean }
  | { readonly by: 'admin'; readonly admin: boolean; readonly actor: string };

interface UserRow {
  id: string;
  login: string;
  is_admin: boolean;
  github_id: string | null;
  password_hash: string | null;
  created_at: Date;
}

const COLUMNS = 'id, login, is_admin, github_id, password_hash, created_at';
const LOGIN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,38}$/;
const MAX_LOGIN = 39;
/** Serialises account changes, so that the last administrator stays. */
const ACCOUNTS_LOCK = 7_405_001;

export const SIGNUP_CLOSED =
  'sign-up is closed on this Gyre; ask an administrator to create your account in the admin console (Accounts)';

const toUser = (row: UserRow): User => ({
  id: Number(row.id),
  login: row.login,
  isAdmin: row.is_admin,
  githubId: row.github_id === null ? null : Number(row.github_id),
});

export class UserStore {
  constructor(private readonly db: Database) {}

  /** A local account; every problem with the input is reported at once. */
  async createLocal(login: string, password: string, creator: AccountCreator): Promise<User> {
    const problems = [
      ...(LOGIN.test(login)
        ? []
        : [
            {
              input: 'login',
              message: 'must be 1-39 letters, digits, dots, dashes or underscores, starting with a letter or digit',
            },
          ]),
      ...(password.length >= 10 ? [] : [{ input: 'password', message: 'must be at least 10 characters' }]),
    ];
    if (problems.length > 0) throw new InvalidInputError('the new account', problems);
    const hash = await hashPassword(password);
    return this.insert([login], hash, null, creator);
  }

  /**
   * The account of a GitHub user, made on their first sign-in under their GitHub login, or under
   * `<login>-github` (then `-github-2`, ...) when a local account already has that login.
   */
  async upsertGitHub(githubId: number, login: string, signupOpen: boolean): Promise<User> {
    const known = await this.db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE github_id = $1`, [githubId]);
    if (known.rows[0]) return toUser(known.rows[0]);
    const suffixes = ['', '-github', ...Array.from({ length: 8 }, (_, i) => `-github-${i + 2}`)];
    return this.insert(
      suffixes.map((suffix) => login.slice(0, MAX_LOGIN - suffix.length) + suffix),
      null,
      githubId,
      { by: 'self', signupOpen },
    );
  }

  async withPassword(login: string): Promise<{ user: User; passwordHash: string | null } | undefined> {
    const result = await this.db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE lower(login) = lower($1)`, [login]);
    const row = result.rows[0];
    return row && { user: toUser(row), passwordHash: row.password_hash };
  }

  async get(id: number): Promise<User | undefined> {
    const result = await this.db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
    return result.rows[0] && toUser(result.rows[0]);
  }

  /** Every account, oldest first. */
  async list(): Promise<Account[]> {
    const result = await this.db.query<UserRow>(`SELECT ${COLUMNS} FROM users ORDER BY id`);
    return result.rows.map((row) => ({
      ...toUser(row),
      hasPassword: row.password_hash !== null,
      createdAt: row.created_at.toISOString(),
    }));
  }

  /** Grants or revokes administrator rights, audited as `actor`'s; the last administrator account cannot lose them. */
  async setAdmin(id: number, isAdmin: boolean, actor: string): Promise<User> {
    return this.changeAccount(id, isAdmin ? undefined : 'revoke the administrator rights of', async (client) => {
      const result = await client.query<UserRow>(`UPDATE users SET is_admin = $2 WHERE id = $1 RETURNING ${COLUMNS}`, [
        id,
        isAdmin,
      ]);
      const user = toUser(result.rows[0]!);
      await audit(client, actor, isAdmin ? 'account.grant_admin' : 'account.revoke_admin', user.login, null);
      return user;
    });
  }

  /** Removes an account with its sessions and API tokens, audited as `actor`'s; the last administrator account cannot be removed. */
  async remove(id: number, actor: string): Promise<User> {
    return this.changeAccount(id, 'remove', async (client) => {
      const result = await client.query<UserRow>(`DELETE FROM users WHERE id = $1 RETURNING ${COLUMNS}`, [id]);
      const user = toUser(result.rows[0]!);
      await audit(client, actor, 'account.remove', user.login, null);
      return user;
    });
  }

  /** Runs `change` on an existing account under the lock, refusing `guarded` changes that would leave no administrator. */
  private async changeAccount(
    id: number,
    guarded: string | undefined,
    change: (client: pg.PoolClient) => Promise<User>,
  ): Promise<User> {
    return withTransaction(this.db, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [ACCOUNTS_LOCK]);
      const found = await client.query<{ is_admin: boolean; others: number }>(
        'SELECT is_admin, (SELECT count(*)::int FROM users WHERE is_admin AND id <> $1) AS others FROM users WHERE id = $1',
        [id],
      );
      const row = found.rows[0];
      if (!row) throw new NotFoundError(`account ${id}`);
      if (guarded !== undefined && row.is_admin && row.others === 0)
        throw new ConflictError(
          `cannot ${guarded} the last administrator account; make another account an administrator first`,
        );
      return change(client);
    });
  }

  /** Inserts under the first login of `logins` that is free. */
  private async insert(
    logins: readonly string[],
    passwordHash: string | null,
    githubId: number | null,
    creator: AccountCreator,
  ): Promise<User> {
    return withTransaction(this.db, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [ACCOUNTS_LOCK]);
      if (creator.by === 'self' && !creator.signupOpen) throw new ForbiddenError(SIGNUP_CLOSED);
      const clashes = await client.query<{ login: string }>(
        'SELECT lower(login) AS login FROM users WHERE lower(login) = ANY($1::text[])',
        [logins.map((l) => l.toLowerCase())],
      );
      const taken = new Set(clashes.rows.map((row) => row.login));
      const login = logins.find((candidate) => !taken.has(candidate.toLowerCase()));
      if (login === undefined) throw new ConflictError(`the login "${logins[0]}" is taken; choose another`);
      const result = await client.query<UserRow>(
        `INSERT INTO users (login, password_hash, github_id, is_admin) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
        [login, passwordHash, githubId, creator.by === 'admin' && creator.admin],
      );
      const user = toUser(result.rows[0]!);
      if (creator.by === 'admin')
        await audit(client, creator.actor, 'account.create', user.login, { admin: user.isAdmin });
      return user;
    });
  }
}

/** An audit entry written in the transaction of the change it records, so the log cannot miss one. */
async function audit(
  client: pg.PoolClient,
  actor: string,
  action: string,
  target: string,
  detail: object | null,
): Promise<void> {
  await client.query('INSERT INTO audit_log (actor, action, target, detail) VALUES ($1, $2, $3, $4)', [
    actor,
    action,
    target,
    detail === null ? null : JSON.stringify(detail),
  ]);
}
