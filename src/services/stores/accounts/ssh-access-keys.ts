/**
 * Who may connect to a rerun with SSH: the account that asked for it (while it still may, which
 * the caller decides) and every administrator, with the keys they uploaded. Read again at each
 * job heartbeat, so a removed key, or an administrator's right taken away, is refused from then on.
 */
import type { SshAccessKey } from '../../../protocol/index.js';
import type { Database } from '../../database/create-pool.js';

export interface SshAccount {
  readonly id: number;
  readonly login: string;
  readonly admin: boolean;
  /** Its GitHub id, when it signs in with GitHub: its GitHub keys count too. */
  readonly githubId: number | null;
}

export interface SshAccess {
  readonly accounts: readonly SshAccount[];
  readonly keys: readonly SshAccessKey[];
}

/** The administrators, and the account `requesterId` when given, with their uploaded keys. */
export async function sshAccessOf(db: Database, requesterId: number | null): Promise<SshAccess> {
  const { rows } = await db.query<{
    id: string;
    login: string;
    is_admin: boolean;
    github_id: string | null;
    public_key: string | null;
    fingerprint_sha256: string | null;
  }>(
    `SELECT u.id, u.login, u.is_admin, u.github_id, k.public_key, k.fingerprint_sha256
     FROM users u LEFT JOIN user_ssh_keys k ON k.user_id = u.id
     WHERE u.id = $1 OR u.is_admin ORDER BY u.id, k.id`,
    [requesterId],
  );
  const accounts = new Map<string, SshAccount>();
  const keys: SshAccessKey[] = [];
  for (const row of rows) {
    accounts.set(row.id, {
      id: Number(row.id),
      login: row.login,
      admin: row.is_admin,
      githubId: row.github_id === null ? null : Number(row.github_id),
    });
    if (row.public_key !== null && row.fingerprint_sha256 !== null)
      keys.push({ publicKey: row.public_key, fingerprint: row.fingerprint_sha256, account: row.login });
  }
  return { accounts: [...accounts.values()], keys };
}

/** Which of `fingerprints` some account uploaded: such a key is that account's, whoever else lists it. */
export async function uploadedAmong(db: Database, fingerprints: readonly string[]): Promise<Set<string>> {
  if (fingerprints.length === 0) return new Set();
  const { rows } = await db.query<{ fingerprint_sha256: string }>(
    'SELECT fingerprint_sha256 FROM user_ssh_keys WHERE fingerprint_sha256 = ANY($1::text[])',
    [fingerprints],
  );
  return new Set(rows.map((row) => row.fingerprint_sha256));
}
