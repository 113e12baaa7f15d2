import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { createDatabasePool, type Database } from '../../src/services/database/create-pool.js';
import { migrateDatabase } from '../../src/services/database/migrate.js';
import { migrations } from '../../src/services/database/migrations/index.js';
import { runGyre } from '../support/cli.js';
import { startTestDatabase, type TestDatabase } from '../support/postgres.js';
import { TEST_SECRETS } from '../support/services-under-test.js';

const logger = pino({ level: 'silent' });
let database: TestDatabase;
const pools: Database[] = [];

beforeAll(async () => {
  database = await startTestDatabase();
}, 180_000);

afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await database?.stop();
}, 60_000);

const newPool = () => {
  const pool = createDatabasePool(database.url, logger);
  pools.push(pool);
  return pool;
};

describe('database migrations', () => {
  it('apply once when two app processes start at the same time', async () => {
    const [first, second] = await Promise.all([migrateDatabase(newPool(), logger), migrateDatabase(newPool(), logger)]);
    const appliedCounts = [first.applied.length, second.applied.length].sort();
    expect(appliedCounts).toEqual([0, migrations.length]);
    expect(first.current).toBe(migrations.at(-1)!.id);
    expect(second.current).toBe(migrations.at(-1)!.id);
    const rows = await newPool().query('SELECT id FROM schema_migrations ORDER BY id');
    expect(rows.rows.map((r: { id: number }) => r.id)).toEqual(migrations.map((m) => m.id));
  }, 60_000);

  it('are safe to run again through `gyre migrate`, which reports the schema as current', () => {
    const result = runGyre(['migrate', '--json'], {
      env: { ...process.env, ...TEST_SECRETS, GYRE_DATABASE_URL: database.url },
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ applied: [], current: migrations.at(-1)!.id });
  }, 60_000);

  it('refuse a database that a newer Gyre migrated, naming the migrations they do not know', async () => {
    await newPool().query("INSERT INTO schema_migrations (id, name) VALUES (9001, 'from the future')");
    try {
      await expect(migrateDatabase(newPool(), logger)).rejects.toThrow(
        'the database has migrations this Gyre does not know (9001): a newer Gyre migrated it; run that version or a newer one',
      );
    } finally {
      await newPool().query('DELETE FROM schema_migrations WHERE id = 9001');
    }
  }, 60_000);

  it('roll a failing migration back completely and name it', async () => {
    const broken = [
      ...migrations,
      { id: 999, name: 'broken', sql: 'CREATE TABLE half_done (id int); SELECT no_such_function();' },
    ];
    await expect(migrateDatabase(newPool(), logger, broken)).rejects.toThrow(
      /migration 999 \(broken\) failed: function no_such_function\(\) does not exist/,
    );
    const leftovers = await newPool().query("SELECT to_regclass('half_done') AS t");
    expect(leftovers.rows[0]).toEqual({ t: null });
  }, 60_000);
});
