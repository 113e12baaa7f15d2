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
    .withHealthCheck({ test: ['CMD', 'pg_isready', '-h', '127.0.0.1', '-U', 'gyre', '-d', 'gyre'], interval: 1_000, timeout: 3_000, retries: 60, startPeriod: 1_000 })
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
