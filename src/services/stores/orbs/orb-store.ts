/**
 * The installation's orb store in PostgreSQL: packed orbs by namespace, name and release version.
 * A version is immutable once imported, as in CircleCI's registry: importing the same text again
 * is a no-op, other text under the same version is refused. Imports and removals are audited.
 */
import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';
import type { Database } from '../../database/create-pool.js';
import { withTransaction } from '../../database/with-transaction.js';
import { writeAudit } from '../audit/audit-log.js';
import { ConflictError, NotFoundError } from '../../../shared/errors.js';
import { compareVersions, pickVersion, type OrbVersionId } from '../../core/orbs/orb-versions.js';
import { parseOrbReference } from '../../core/pipeline-config/index.js';

export type { OrbVersionId } from '../../core/orbs/orb-versions.js';
import type { ImportedOrb } from '../../core/pipeline-config/index.js';

/** One imported version, without its text. */
export interface OrbSummary {
  readonly namespace: string;
  readonly name: string;
  readonly version: string;
  /** `namespace/name@version`, as a config names it. */
  readonly ref: string;
  /** SHA-256 of the packed YAML, hex. */
  readonly sha256: string;
  readonly importedBy: string;
  readonly importedAt: string;
}

export interface StoredOrb extends OrbSummary {
  /** The packed YAML configs expand. */
  readonly yaml: string;
}

interface OrbRow {
  namespace: string;
  name: string;
  version: string;
  yaml?: string;
  sha256: string;
  imported_by: string;
  imported_at: Date;
}

const SUMMARY_COLUMNS = 'namespace, name, version, sha256, imported_by, imported_at';

export class OrbStore {
  constructor(private readonly db: Database) {}

  /** Every imported version, by name, newest version first. */
  async list(): Promise<OrbSummary[]> {
    const rows = await this.db.query<OrbRow>(`SELECT ${SUMMARY_COLUMNS} FROM orbs`);
    return rows.rows
      .map(toSummary)
      .sort(
        (a, b) =>
          `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`) || compareVersions(b.version, a.version),
      );
  }

  async get(id: OrbVersionId): Promise<StoredOrb> {
    const row = await this.db.query<OrbRow>('SELECT * FROM orbs WHERE namespace = $1 AND name = $2 AND version = $3', [
      id.namespace,
      id.name,
      id.version,
    ]);
    if (!row.rows[0]) throw new NotFoundError(`the orb ${refOf(id)}`);
    return { ...toSummary(row.rows[0]), yaml: row.rows[0].yaml ?? '' };
  }

  /**
   * Stores a checked, packed orb. `created` is false when the same text was already there; other
   * text under an imported version is refused with 409 `orb_version_exists`.
   */
  async importOrb(id: OrbVersionId, yaml: string, actor: string): Promise<{ orb: OrbSummary; created: boolean }> {
    const sha256 = createHash('sha256').update(yaml).digest('hex');
    return withTransaction(this.db, async (client) => {
      const inserted = await client.query<OrbRow>(
        `INSERT INTO orbs (namespace, name, version, yaml, sha256, imported_by) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT DO NOTHING RETURNING ${SUMMARY_COLUMNS}`,
        [id.namespace, id.name, id.version, yaml, sha256, actor],
      );
      if (inserted.rows[0]) {
        await audit(client, actor, 'orb.import', id, { sha256 });
        return { orb: toSummary(inserted.rows[0]), created: true };
      }
      const existing = await client.query<OrbRow>(
        `SELECT ${SUMMARY_COLUMNS} FROM orbs WHERE namespace = $1 AND name = $2 AND version = $3`,
        [id.namespace, id.name, id.version],
      );
      const row = existing.rows[0];
      if (row && row.sha256 === sha256) return { orb: toSummary(row), created: false };
      throw new ConflictError(
        `${refOf(id)} is already imported with other content (sha256 ${row?.sha256 ?? 'unknown'}); orb versions are immutable: import it under a new version, or remove this one first`,
        'orb_version_exists',
      );
    });
  }

  async remove(id: OrbVersionId, actor: string): Promise<void> {
    await withTransaction(this.db, async (client) => {
      const removed = await client.query('DELETE FROM orbs WHERE namespace = $1 AND name = $2 AND version = $3', [
        id.namespace,
        id.name,
        id.version,
      ]);
      if (removed.rowCount === 0) throw new NotFoundError(`the orb ${refOf(id)}`);
      await audit(client, actor, 'orb.remove', id, {});
    });
  }

  /**
   * The imported version a config's reference stands for (`circleci/node@7.2` → the newest
   * 7.2.x imported), or undefined when none is, or the reference is malformed (the parser says why).
   */
  async resolve(written: string): Promise<ImportedOrb | undefined> {
    const reference = parseOrbReference(written);
    if ('problem' in reference) return undefined;
    const versions = await this.db.query<{ version: string }>(
      'SELECT version FROM orbs WHERE namespace = $1 AND name = $2',
      [reference.namespace, reference.name],
    );
    const version = pickVersion(
      reference.version,
      versions.rows.map((r) => r.version),
    );
    if (version === undefined) return undefined;
    // Removed meanwhile: as if it had never been imported, and the parser says so.
    const row = await this.db.query<{ yaml: string }>(
      'SELECT yaml FROM orbs WHERE namespace = $1 AND name = $2 AND version = $3',
      [reference.namespace, reference.name, version],
    );
    const yaml = row.rows[0]?.yaml;
    return yaml === undefined ? undefined : { ref: refOf({ ...reference, version }), yaml };
  }
}

/** `namespace/name@version`. */
export function refOf(id: OrbVersionId): string {
  return `${id.namespace}/${id.name}@${id.version}`;
}

function toSummary(row: OrbRow): OrbSummary {
  return {
    namespace: row.namespace,
    name: row.name,
    version: row.version,
    ref: refOf(row),
    sha256: row.sha256,
    importedBy: row.imported_by,
    importedAt: row.imported_at.toISOString(),
  };
}

async function audit(client: PoolClient, actor: string, action: string, id: OrbVersionId, detail: object) {
  await writeAudit(client, { actor, action, target: `orb:${refOf(id)}`, detail });
}
