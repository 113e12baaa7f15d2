/**
 * Applies pending schema migrations. Safe to run any number of times and from several app
 * processes at once: a session-level advisory lock lets exactly one of them migrate while the
 * others wait, then find nothing left to do.
 */
import type { Logger } from 'pino';
import type { Database } from './create-pool.js';
import { migrations as allMigrations, type Migration } from './migrations/index.js';

/** Arbitrary but fixed: the advisory lock key that serialises Gyre migrations ("gyre" in ASCII). */
const MIGRATION_LOCK_KEY = 0x67797265;

export interface MigrationReport {
  readonly applied: readonly { readonly id: number; readonly name: string }[];
  readonly current: number;
}

export async function migrateDatabase(
  db: Database,
  logger: Logger,
  migrations: readonly Migration[] = allMigrations,
): Promise<MigrationReport> {
  const client = await db.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set(
      (await client.query<{ id: number }>('SELECT id FROM schema_migrations')).rows.map((r) => r.id),
    );
    // A database a newer Gyre migrated (a restore, or a downgrade) may hold what this one does
    // not understand: running on it would corrupt it quietly.
    const known = new Set(migrations.map((migration) => migration.id));
    const unknown = [...done].filter((id) => !known.has(id)).sort((a, b) => a - b);
    if (unknown.length > 0)
      throw new Error(
        `the database has migrations this Gyre does not know (${unknown.join(', ')}): a newer Gyre migrated it; run that version or a newer one`,
      );
    const applied: { id: number; name: string }[] = [];
    for (const migration of [...migrations].sort((a, b) => a.id - b.id)) {
      if (done.has(migration.id)) continue;
      logger.info({ migration: migration.id, name: migration.name }, 'applying migration');
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (id, name) VALUES ($1, $2)', [migration.id, migration.name]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${migration.id} (${migration.name}) failed: ${(error as Error).message}`, {
          cause: error,
        });
      }
      applied.push({ id: migration.id, name: migration.name });
    }
    const current = Math.max(0, ...done, ...applied.map((a) => a.id));
    return { applied, current };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).finally(() => client.release());
  }
}
