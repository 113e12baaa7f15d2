/**
 * The audit log: who changed what in the fleet and the settings. Builder state changes write
 * their own entries (BuilderStore); this records the console's other actions and reads the log.
 */
import type { Database } from '../database/create-pool.js';

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

  async record(actor: string, action: string, target: string | null, detail: object | null): Promise<void> {
    await this.db.query('INSERT INTO audit_log (actor, action, target, detail) VALUES ($1, $2, $3, $4)', [actor, action, target, detail === null ? null : JSON.stringify(detail)]);
  }

  /** The newest entries first. */
  async newest(limit: number): Promise<AuditEntry[]> {
    const result = await this.db.query<{ id: string; actor: string; action: string; target: string | null; detail: unknown; at: Date }>(
      'SELECT id, actor, action, target, detail, at FROM audit_log ORDER BY at DESC, id DESC LIMIT $1',
      [limit],
    );
    return result.rows.map((row) => ({ id: Number(row.id), actor: row.actor, action: row.action, target: row.target, detail: row.detail === null ? '' : JSON.stringify(row.detail), at: row.at.toISOString() }));
  }
}
