/**
 * Each project's SSH keys for `add_ssh_keys`, in `project_ssh_keys`: private keys a maintainer
 * added, sealed with the installation key. Only the lease of a job whose steps name them ever
 * carries them in clear (never a fork's build that gets no secrets); members see the fingerprints,
 * the host and the public half. Every change writes its audit entry in the same transaction.
 */
import type { Database } from '../../database/create-pool.js';
import { withTransaction } from '../../database/with-transaction.js';
import { writeAudit } from '../audit/audit-log.js';
import type { SecretBox } from '../../core/security/secret-box.js';
import { readSshPrivateKey } from '../../core/security/ssh-private-key.js';
import { ConflictError, InvalidInputError, NotFoundError, type InputProblem } from '../../../shared/errors.js';
import { FINGERPRINT_FORMS, namesKey, normalizeFingerprint, SSH_HOSTNAME } from '../../../shared/ssh-keys.js';
import type { LeasedSshKey } from '../../../protocol/index.js';

/** What a maintainer gives. */
export interface SshKeyInput {
  readonly privateKey: string;
  /** The host the key is for, as in `github.com`; absent: every host. */
  readonly hostname?: string;
}

/** What may be shown of a key: never the private half. */
export interface SshKeySummary {
  readonly md5: string;
  readonly sha256: string;
  readonly hostname?: string;
  readonly publicKey: string;
  readonly addedBy: string;
  readonly addedAt: string;
}

/** Which keys a job's steps ask for: every key, or those these (normalized) fingerprints name. */
export type WantedSshKeys = 'all' | readonly string[];

interface SshKeyRow {
  md5: string;
  sha256: string;
  hostname: string | null;
  public_key: string;
  secret: Buffer;
  added_by: string;
  added_at: Date;
}

export class SshKeyStore {
  constructor(
    private readonly db: Database,
    private readonly box: SecretBox,
  ) {}

  /** Adds a key; 409 `ssh_key_exists` when the project has it already. Every problem is listed at once. */
  async add(projectId: number, input: SshKeyInput, actor: string): Promise<SshKeySummary> {
    const problems: InputProblem[] = [];
    const key = readSshPrivateKey(input.privateKey, 'privateKey');
    if ('input' in key) problems.push(key);
    if (input.hostname !== undefined && !SSH_HOSTNAME.test(input.hostname))
      problems.push({
        input: 'hostname',
        message: `"${input.hostname}" is not a host name`,
        hint: 'give the host the key is for, as in `github.com`, or leave it out for every host',
      });
    if ('input' in key || problems.length > 0) throw new InvalidInputError('the SSH key', problems);
    return withTransaction(this.db, async (client) => {
      const result = await client.query<SshKeyRow>(
        `INSERT INTO project_ssh_keys (project_id, md5, sha256, hostname, public_key, secret, added_by)
         SELECT id, $2, $3, $4, $5, $6, $7 FROM projects WHERE id = $1
         ON CONFLICT (project_id, md5) DO NOTHING
         RETURNING *`,
        [
          projectId,
          key.fingerprints.md5,
          key.fingerprints.sha256,
          // Host names are case-insensitive; ssh compares them in lower case.
          input.hostname?.toLowerCase() ?? null,
          key.publicKey,
          this.box.seal(key.privateKey),
          actor,
        ],
      );
      const row = result.rows[0];
      if (!row) {
        const exists = await client.query('SELECT 1 FROM projects WHERE id = $1', [projectId]);
        if (exists.rowCount === 0) throw new NotFoundError(`project ${projectId}`);
        throw new ConflictError(
          `project ${projectId} has the SSH key ${key.fingerprints.sha256} already; remove it first to change its host`,
          'ssh_key_exists',
        );
      }
      await writeAudit(client, {
        actor,
        action: 'project.ssh_key_add',
        target: `project:${projectId}`,
        detail: { fingerprint: row.sha256, ...(row.hostname !== null && { hostname: row.hostname }) },
      });
      return toSummary(row);
    });
  }

  /** The project's keys, oldest first. */
  async list(projectId: number): Promise<SshKeySummary[]> {
    return (await this.rows(projectId)).map(toSummary);
  }

  /** Removes the key `fingerprint` (MD5 or SHA256) names. */
  async remove(projectId: number, fingerprint: string, actor: string): Promise<void> {
    const written = normalizeFingerprint(fingerprint);
    if (written === undefined)
      throw new InvalidInputError('the fingerprint', [
        {
          input: 'fingerprint',
          message: `"${fingerprint}" is not a key fingerprint`,
          hint: `give ${FINGERPRINT_FORMS}`,
        },
      ]);
    await withTransaction(this.db, async (client) => {
      const result = await client.query<{ sha256: string }>(
        'DELETE FROM project_ssh_keys WHERE project_id = $1 AND (md5 = $2 OR sha256 = $2) RETURNING sha256',
        [projectId, written],
      );
      const removed = result.rows[0];
      if (!removed) throw new NotFoundError(`the SSH key ${fingerprint} of project ${projectId}`);
      await writeAudit(client, {
        actor,
        action: 'project.ssh_key_remove',
        target: `project:${projectId}`,
        detail: { fingerprint: removed.sha256 },
      });
    });
  }

  /** The keys a job asks for, in clear, for its lease; a fingerprint the project lacks is left for the step to name. */
  async keysFor(projectId: number, wanted: WantedSshKeys): Promise<LeasedSshKey[]> {
    const rows = await this.rows(projectId);
    const chosen = wanted === 'all' ? rows : rows.filter((row) => wanted.some((written) => namesKey(written, row)));
    return chosen.map((row) => ({
      md5: row.md5,
      sha256: row.sha256,
      ...(row.hostname !== null && { hostname: row.hostname }),
      privateKey: this.box.open(row.secret),
    }));
  }

  private async rows(projectId: number): Promise<SshKeyRow[]> {
    const result = await this.db.query<SshKeyRow>(
      'SELECT * FROM project_ssh_keys WHERE project_id = $1 ORDER BY added_at, md5',
      [projectId],
    );
    return result.rows;
  }
}

function toSummary(row: SshKeyRow): SshKeySummary {
  return {
    md5: row.md5,
    sha256: row.sha256,
    ...(row.hostname !== null && { hostname: row.hostname }),
    publicKey: row.public_key,
    addedBy: row.added_by,
    addedAt: row.added_at.toISOString(),
  };
}
