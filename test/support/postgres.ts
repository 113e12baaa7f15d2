import Docker from 'dockerode';
import { pino } from 'pino';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { createDatabasePool, type Database } from '../../src/services/database/create-pool.js';
import { migrateDatabase } from '../../src/services/database/migrate.js';
import { settingsFrom } from './settings.js';

/** The database image that `gyre images build` makes; tests use the real thing. */
export const POSTGRES_IMAGE = settingsFrom({}).images.db;

export interface TestDatabase {
  readonly url: string;
  readonly container: StartedTestContainer;
  stop(): Promise<void>;
}

/** Starts Gyre's PostgreSQL image and waits until it accepts connections. */
export async function startTestDatabase(): Promise<TestDatabase> {
  const container = await new GenericContainer(POSTGRES_IMAGE)
    .withEnvironment({ POSTGRES_USER: 'gyre', POSTGRES_PASSWORD: 'test-password', POSTGRES_DB: 'gyre' })
    .withLabels({ 'io.gyre.test': 'true' })
    .withExposedPorts(5432)
    .withHealthCheck({
      test: ['CMD', 'pg_isready', '-h', '127.0.0.1', '-U', 'gyre', '-d', 'gyre'],
      interval: 1_000,
      timeout: 3_000,
      retries: 60,
      startPeriod: 1_000,
    })
    .withWaitStrategy(Wait.forHealthCheck())
    .start();
  const url = `postgres://gyre:test-password@${container.getHost()}:${container.getMappedPort(5432)}/gyre`;
  return { url, container, stop: async () => void (await container.stop({ remove: true, removeVolumes: true })) };
}

/** Gyre's PostgreSQL with the schema migrated and a pool on it; `stop` closes both. */
export interface MigratedDatabase {
  readonly db: Database;
  readonly database: TestDatabase;
  stop(): Promise<void>;
}

export async function startMigratedDatabase(): Promise<MigratedDatabase> {
  const database = await startTestDatabase();
  const db = createDatabasePool(database.url, pino({ level: 'silent' }));
  await migrateDatabase(db, pino({ level: 'silent' }));
  return {
    db,
    database,
    stop: async () => {
      await db.end();
      await database.stop();
    },
  };
}

/**
 * The SQL statements that clients ran while `window` ran, as PostgreSQL itself logged them
 * (log_statement = all, turned on for the window; autovacuum and other background work log none).
 * Marker statements before and after bound the window in the server's log.
 */
export async function statementsDuring(
  database: TestDatabase,
  db: Database,
  window: () => Promise<void>,
): Promise<string[]> {
  const marker = `gyre-window-${Date.now()}`;
  await db.query("ALTER SYSTEM SET log_statement = 'all'");
  await db.query('SELECT pg_reload_conf()');
  try {
    await db.query(`SELECT '${marker}-start'`);
    await window();
    await db.query(`SELECT '${marker}-end'`);
  } finally {
    await db.query('ALTER SYSTEM RESET log_statement');
    await db.query('SELECT pg_reload_conf()');
  }
  const log = (
    await new Docker().getContainer(database.container.getId()).logs({ stdout: true, stderr: true, follow: false })
  ).toString('utf8');
  const lines = log.split('\n');
  const start = lines.findIndex((line) => line.includes(`'${marker}-start'`));
  const end = lines.findIndex((line) => line.includes(`'${marker}-end'`));
  return lines
    .slice(start + 1, end)
    .filter((line) => / LOG: {2}(statement|execute [^:]*): /.test(line))
    .map((line) => line.replace(/^.* LOG: {2}(statement|execute [^:]*): /, ''));
}
