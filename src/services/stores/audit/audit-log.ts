/**
 * The audit log: who changed what in the fleet, the accounts and the settings. Each change writes
 * its own entry in the statement or transaction that makes it (BuilderStore, UserStore,
 * JoinSecrets, RuntimeSettings); this reads the log.
 */
import type { PoolClient } from 'pg';
import type { Database } from '../../database/create-pool.js';

/** Writes one entry on the client of the transaction that makes the change. Never put a secret in `detail`. */
export async function writeAudit(
  client: PoolClient,
  entry: { actor: string; action: string; target: string; detail: object },
): Promise<void> {
  await client.query('INSERT INTO audit_log (actor, action, target, detail) VALUES ($1, $2, $3, $4)', [
    entry.actor,
    entry.action,
    entry.target,
    JSON.stringify(entry.detail),
  ]);
}

export interface AuditEntry {
  readonly id: number;
  readonly actor: string;
  readonly action: string;
  readonly target: string | null;
  /** The detail as compact JSON text, for display. */
  readonly detail: string;
  readonly at: string;
}

export class AuditLog {
  constructor(private readonly db: Database) {}

  /** The newest entries first. */
  async newest(limit: number): Promise<AuditEntry[]> {
    const result = await this.db.query<{
      id: string;
      actor: string;
      action: string;
      target: string | null;
      detail: unknown;
      at: Date;
    }>('SELECT id, actor, action, target, detail, at FROM audit_log ORDER BY at DESC, id DESC LIMIT $1', [limit]);
    return result.rows.map((row) => ({
      id: Number(row.id),
      actor: row.actor,
      action: row.action,
      target: row.target,
      detail: row.detail === null ? '' : JSON.stringify(row.detail),
      at: row.at.toISOString(),
    }));
  }
}
