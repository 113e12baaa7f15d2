/**
 * Accounts. The first account ever made (local or GitHub) becomes an administrator, as in the
 * product Gyre replaces; the check and the insert run under one lock so two first sign-ins at
 * once cannot both become admin or both miss out.
 */
import type { Database } from '../database/create-pool.js';
import { withTransaction } from '../database/with-transaction.js';
import { ConflictError, InvalidInputError } from '../../shared/errors.js';
import { hashPassword } from './passwords.js';

export interface User {
  readonly id: number;
  readonly login: string;
  readonly isAdmin: boolean;
  readonly githubId: number | null;
}

interface UserRow {
  id: string;
  login: string;
  is_admin: boolean;
  github_id: string | null;
  password_hash: string | null;
}

const COLUMNS = 'id, login, is_admin, github_id, password_hash';
const LOGIN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,38}$/;
/** Serialises account creation, so "first account" has one winner. */
const FIRST_USER_LOCK = 7_405_001;

const toUser = (row: UserRow): User => ({ id: Number(row.id), login: row.login, isAdmin: row.is_admin, githubId: row.github_id === null ? null : Number(row.github_id) });

export class UserStore {
  constructor(private readonly db: Database) {}

  async count(): Promise<number> {
    const result = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
    return result.rows[0]?.n ?? 0;
  }

  /** A local account; every problem with the input is reported at once. */
  async createLocal(login: string, password: string): Promise<User> {
    const problems = [
      ...(LOGIN.test(login) ? [] : [{ input: 'login', message: 'must be 1-39 letters, digits, dots, dashes or underscores, starting with a letter or digit' }]),
      ...(password.length >= 10 ? [] : [{ input: 'password', message: 'must be at least 10 characters' }]),
    ];
    if (problems.length > 0) throw new InvalidInputError('the new account', problems);
    return this.insert(login, await hashPassword(password), null);
  }

  /** The account of a GitHub user, made on their first sign-in (under their GitHub login). */
  async upsertGitHub(githubId: number, login: string): Promise<User> {
    const known = await this.db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE github_id = $1`, [githubId]);
    if (known.rows[0]) return toUser(known.rows[0]);
    return this.insert(login, null, githubId);
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

  async list(): Promise<User[]> {
    const result = await this.db.query<UserRow>(`SELECT ${COLUMNS} FROM users ORDER BY id`);
    return result.rows.map(toUser);
  }

  private async insert(login: string, passwordHash: string | null, githubId: number | null): Promise<User> {
    return withTransaction(this.db, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [FIRST_USER_LOCK]);
      const taken = await client.query('SELECT 1 FROM users WHERE lower(login) = lower($1)', [login]);
      if (taken.rowCount) throw new ConflictError(`the login "${login}" is taken; choose another`);
      const result = await client.query<UserRow>(
        `INSERT INTO users (login, password_hash, github_id, is_admin) VALUES ($1, $2, $3, NOT EXISTS (SELECT 1 FROM users)) RETURNING ${COLUMNS}`,
        [login, passwordHash, githubId],
      );
      return toUser(result.rows[0]!);
    });
  }
}
