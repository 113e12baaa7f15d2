/**
 * The public keys each account connects to its SSH reruns with. Adding or removing one is written
 * to the audit log in the same transaction: a key grants a shell in that account's builds.
 */
import type { Database } from '../../database/create-pool.js';
import { withTransaction } from '../../database/with-transaction.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../../../shared/errors.js';
import { readSshPublicKey } from '../../core/security/ssh-public-key.js';
import { writeAudit } from '../audit/audit-log.js';

export interface UserSshKey {
  readonly id: number;
  readonly title: string;
  readonly publicKey: string;
  readonly fingerprint: string;
  readonly fingerprintMd5: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
}

/** Keys an account may hold: enough for every machine a person works at. */
export const MAX_KEYS_PER_ACCOUNT = 50;
const TITLE = /^[\p{L}\p{M}\p{N} ._@()+:'-]{1,100}$/u;
/** A key's comment as a title: what the title allows, at most 100 characters. */
const titleOfComment = (comment: string) =>
  comment
    .replace(/[^\p{L}\p{M}\p{N} ._@()+:'-]/gu, '')
    .slice(0, 100)
    .trim();

interface KeyRow {
  id: string;
  title: string;
  public_key: string;
  fingerprint_sha256: string;
  fingerprint_md5: string;
  created_at: Date;
  last_used_at: Date | null;
}

const keyOf = (row: KeyRow): UserSshKey => ({
  id: Number(row.id),
  title: row.title,
  publicKey: row.public_key,
  fingerprint: row.fingerprint_sha256,
  fingerprintMd5: row.fingerprint_md5,
  createdAt: row.created_at.toISOString(),
  lastUsedAt: row.last_used_at?.toISOString() ?? null,
});

export class UserSshKeys {
  constructor(private readonly db: Database) {}

  async list(userId: number): Promise<UserSshKey[]> {
    const { rows } = await this.db.query<KeyRow>('SELECT * FROM user_ssh_keys WHERE user_id = $1 ORDER BY id', [
      userId,
    ]);
    return rows.map(keyOf);
  }

  /**
   * Adds the key line `text` under `title` (the key's comment when none is given). Refuses a bad
   * line or title, naming the field, and a key the account has already.
   */
  async add(
    userId: number,
    login: string,
    input: { title?: string; key: string },
    actor = `user:${login}`,
  ): Promise<UserSshKey> {
    const key = readSshPublicKey(input.key, 'key');
    const title = (input.title ?? '').trim() || ('comment' in key ? titleOfComment(key.comment) : '') || 'SSH key';
    const problems = [
      ...('input' in key ? [key] : []),
      ...(TITLE.test(title)
        ? []
        : [
            {
              input: 'title',
              message: "must be 1 to 100 letters, digits, spaces and . _ @ ( ) + : ' -",
              hint: 'name the machine the key is on, e.g. "laptop"',
            },
          ]),
    ];
    if (problems.length > 0 || 'input' in key) throw new InvalidInputError('SSH key', problems);
    return withTransaction(this.db, async (client) => {
      // Serialises adds per account, so the count below holds.
      await client.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [userId]);
      const { rows: counted } = await client.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM user_ssh_keys WHERE user_id = $1',
        [userId],
      );
      if (counted[0]!.n >= MAX_KEYS_PER_ACCOUNT)
        throw new ConflictError(
          `you have ${MAX_KEYS_PER_ACCOUNT} SSH keys already; remove one you no longer use first`,
        );
      const { rows } = await client.query<KeyRow>(
        `INSERT INTO user_ssh_keys (user_id, title, public_key, fingerprint_sha256, fingerprint_md5)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (fingerprint_sha256) DO NOTHING RETURNING *`,
        [userId, title, key.publicKey, key.fingerprints.sha256, key.fingerprints.md5],
      );
      if (rows[0] === undefined) {
        // One key, one account: a session's audit entry must name who connected.
        const { rows: owner } = await client.query<{ user_id: string }>(
          'SELECT user_id FROM user_ssh_keys WHERE fingerprint_sha256 = $1',
          [key.fingerprints.sha256],
        );
        throw new ConflictError(
          Number(owner[0]?.user_id) === userId
            ? `you have added the key ${key.fingerprints.sha256} already`
            : `the key ${key.fingerprints.sha256} is in use by another account; each key belongs to one account, so make one of your own with \`ssh-keygen -t ed25519\``,
        );
      }
      await writeAudit(client, {
        actor,
        action: 'user.ssh_key.add',
        target: login,
        detail: { fingerprint: key.fingerprints.sha256, title },
      });
      return keyOf(rows[0]);
    });
  }

  async remove(userId: number, login: string, id: number, actor = `user:${login}`): Promise<void> {
    await withTransaction(this.db, async (client) => {
      const { rows } = await client.query<{ fingerprint_sha256: string }>(
        'DELETE FROM user_ssh_keys WHERE id = $1 AND user_id = $2 RETURNING fingerprint_sha256',
        [id, userId],
      );
      if (rows[0] === undefined) throw new NotFoundError(`SSH key ${id}`);
      await writeAudit(client, {
        actor,
        action: 'user.ssh_key.remove',
        target: login,
        detail: { fingerprint: rows[0].fingerprint_sha256 },
      });
    });
  }
}
