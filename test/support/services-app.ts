import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startServices, type RunningServices } from '../../src/services/start-services.js';
import { runGyre } from './cli.js';
import { freePort } from '../../src/testing/free-port.js';
import { testGitAllowedHosts, TEST_SECRETS } from './services-under-test.js';
import { settingsFrom } from './settings.js';
import type { BlobStore } from '../../src/services/blobs/blob-store.js';

/**
 * `gyre serve` in this process on a database the test owns, for tests that stop and start the
 * services app on the same data (a restart) or need settings of their own (TLS). Unlike
 * startServicesUnderTest, closing it leaves the database running.
 */
export interface ServicesApp {
  readonly base: string;
  readonly token: string;
  readonly services: RunningServices;
  /** Every setting the app was started with, e.g. to run `gyre` commands against its database. */
  readonly values: Readonly<Record<string, string>>;
  /** Calls the API with the token; JSON bodies are sent as JSON. */
  api(path: string, init?: { method?: string; body?: unknown }): Promise<Response>;
  /** Stops the app (not the database) and removes the data folder it made. */
  close(): Promise<void>;
}

export interface ServicesAppOptions {
  readonly reapIntervalMs?: number;
  /** Extra settings, e.g. GYRE_TLS_CERT_FILE. */
  readonly values?: Readonly<Record<string, string>>;
  /** An API token already in the database (a restarted app keeps its tokens); made with `gyre tokens create` otherwise. */
  readonly token?: string;
  /** The blob store. @default the file store in the app's own data folder, as in production */
  readonly blobs?: BlobStore;
}

export async function startServicesApp(databaseUrl: string, options: ServicesAppOptions = {}): Promise<ServicesApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gyre-data-'));
  const [httpPort, adminPort] = [await freePort(), await freePort()];
  const values = {
    ...TEST_SECRETS,
    GYRE_DATABASE_URL: databaseUrl,
    GYRE_HTTP_PORT: String(httpPort),
    GYRE_ADMIN_PORT: String(adminPort),
    GYRE_DATA_DIR: dataDir,
    GYRE_GIT_ALLOWED_HOSTS: (await testGitAllowedHosts()).join(','),
    ...options.values,
  };
  const services = await startServices(
    settingsFrom(values, 'serve'),
    pino({ level: process.env['GYRE_TEST_LOG'] ?? 'silent' }),
    {
      version: 'test',
      host: '127.0.0.1',
      ...(options.reapIntervalMs !== undefined && { reapIntervalMs: options.reapIntervalMs }),
      ...(options.blobs && { blobs: options.blobs }),
    },
  );
  let token = options.token;
  if (token === undefined) {
    const created = runGyre(['tokens', 'create', '--name', 'tests', '--json'], { env: { ...process.env, ...values } });
    if (created.status !== 0) throw new Error(`gyre tokens create failed: ${created.stderr}`);
    token = (JSON.parse(created.stdout) as { token: string }).token;
  }
  const base = `http://127.0.0.1:${httpPort}`;
  const bearer = token;
  return {
    base,
    token,
    services,
    values,
    api: (path, init = {}) =>
      fetch(`${base}${path}`, {
        method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
        headers: {
          authorization: `Bearer ${bearer}`,
          ...(init.body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
      }),
    close: async () => {
      await services.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
