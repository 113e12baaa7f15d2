import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import Dockerode from 'dockerode';
import { join } from 'node:path';
import { pino } from 'pino';
import { GyreClient } from '../../src/client/gyre-client.js';
import { startServices, type RunningServices } from '../../src/services/start-services.js';
import { runGyre } from './cli.js';
import { freePort } from '../../src/testing/free-port.js';
import { packageRoot } from '../../src/shared/package-files.js';
import { until } from './until.js';
import { startTestDatabase, type TestDatabase } from './postgres.js';
import { settingsFrom } from './settings.js';
import type { BlobStore } from '../../src/services/blobs/blob-store.js';
import { WebClient } from './web-client.js';
import type { ScheduleFiringOptions } from '../../src/services/features/schedules/schedule-firing.js';

/** Secrets of the services app under test; fixed, since the database is thrown away. */
export const TEST_SECRETS = {
  GYRE_JOIN_SECRET: 'j'.repeat(40),
  GYRE_ADMIN_PASSWORD: 'admin-password-123',
  GYRE_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  GYRE_SESSION_SECRET: 's'.repeat(40),
};

/**
 * What the services under test are allowed to fetch from, as an administrator lists it in
 * GYRE_GIT_ALLOWED_HOSTS: loopback 127.0.0.1 and Docker's default bridge, where the test git server
 * listens (its gateway, or its subnet on an engine that does not report the gateway). Everything
 * else internal stays refused (127.0.0.2, ::1, 169.254.169.254, this machine's other networks).
 */
export async function testGitAllowedHosts(): Promise<string[]> {
  const bridge = (await new Dockerode().getNetwork('bridge').inspect()) as {
    IPAM?: { Config?: { Subnet?: string; Gateway?: string }[] };
  };
  const config = bridge.IPAM?.Config?.[0];
  const address = config?.Gateway ?? config?.Subnet;
  return ['127.0.0.1', ...(address === undefined ? [] : [address])];
}

/** `gyre serve` on a fresh PostgreSQL, with an API token made by `gyre tokens create`. */
export interface AppUnderTest {
  readonly base: string;
  readonly token: string;
  readonly database: TestDatabase;
  /** The API client of Gyre's own CLI, with the token. */
  readonly client: GyreClient;
  /** Calls the API with the token; JSON bodies are sent as JSON. */
  api(path: string, init?: { method?: string; body?: unknown }): Promise<Response>;
  /** Makes a local account with `gyre accounts create`, as an operator on the services box does. */
  createAccount(login: string, password: string, options?: { readonly admin?: boolean }): void;
  /** Opens sign-up (closed on a new install) in the admin console, as its built-in admin. */
  openSignup(): Promise<void>;
  stop(): Promise<void>;
}

/** The app in this process, whose parts tests may reach. */
export interface ServicesUnderTest extends AppUnderTest {
  readonly services: RunningServices;
}

/** Settings and hooks of the services under test. */
export interface ServicesUnderTestOptions {
  readonly reapIntervalMs?: number;
  /** More settings as in `.env`, e.g. `{ GYRE_TRUSTED_PROXIES: '127.0.0.1' }`. */
  readonly settings?: Readonly<Record<string, string>>;
  /** The blob store, for tests that look into it. @default the file store in the data folder, as in production */
  readonly blobs?: BlobStore;
  /** A clock for scheduled pipelines and how often they are checked. */
  readonly scheduleFiring?: ScheduleFiringOptions;
  /** The address the listeners bind. @default 127.0.0.1 */
  readonly host?: string;
}

/** `gyre serve` in this process on a fresh PostgreSQL. */
export async function startServicesUnderTest(options: ServicesUnderTestOptions = {}): Promise<ServicesUnderTest> {
  const install = await prepareInstall(options.settings);
  const services = await startServices(
    settingsFrom(install.values, 'serve'),
    pino({ level: process.env['GYRE_TEST_LOG'] ?? 'silent' }),
    {
      version: 'test',
      host: options.host ?? '127.0.0.1',
      ...(options.reapIntervalMs !== undefined && { reapIntervalMs: options.reapIntervalMs }),
      ...(options.blobs && { blobs: options.blobs }),
      ...(options.scheduleFiring && { scheduleFiring: options.scheduleFiring }),
    },
  );
  return { ...clientOf(install, services.addresses.admin, () => services.close()), services };
}

/**
 * `gyre serve` as its own process (the built `dist/cli.js`), as the app container runs it, on a
 * fresh PostgreSQL: for benches that measure the app's own process.
 */
export async function spawnServicesUnderTest(
  settings: Readonly<Record<string, string>> = {},
): Promise<AppUnderTest & { readonly pid: number }> {
  const install = await prepareInstall({ GYRE_LOG_LEVEL: 'warn', ...settings });
  const child = spawn(process.execPath, [join(packageRoot, 'dist/cli.js'), 'serve'], {
    env: { PATH: process.env['PATH'] ?? '', ...install.values },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let gone = false;
  const exited = new Promise<void>((resolve) => {
    const done = (): void => {
      gone = true;
      resolve();
    };
    child.once('exit', done);
    child.once('error', done);
  });
  // SIGTERM lets it finish its requests; one that hangs on them is killed after 30 s.
  const stop = async (): Promise<void> => {
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(killer);
  };
  try {
    const base = `http://127.0.0.1:${install.values.GYRE_HTTP_PORT}`;
    await until(
      'gyre serve to answer',
      async () => {
        if (gone) throw new Error('gyre serve exited before it answered (its output is above)');
        return (await fetch(`${base}/healthz`).catch(() => undefined))?.ok;
      },
      { timeoutMs: 60_000 },
    );
    const admin = `http://127.0.0.1:${install.values.GYRE_ADMIN_PORT}`;
    return { ...clientOf(install, admin, stop), pid: child.pid! };
  } catch (error) {
    await stop();
    await removeInstall(install);
    throw error;
  }
}

interface Install {
  readonly database: TestDatabase;
  readonly dataDir: string;
  readonly values: Record<string, string>;
}

/** A fresh database and data folder, and the settings that use them. */
async function prepareInstall(settings: Readonly<Record<string, string>> = {}): Promise<Install> {
  const database = await startTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'gyre-data-'));
  const [httpPort, adminPort] = [await freePort(), await freePort()];
  const values = {
    ...TEST_SECRETS,
    GYRE_DATABASE_URL: database.url,
    GYRE_HTTP_PORT: String(httpPort),
    GYRE_ADMIN_PORT: String(adminPort),
    GYRE_DATA_DIR: dataDir,
    GYRE_GIT_ALLOWED_HOSTS: (await testGitAllowedHosts()).join(','),
    ...settings,
  };
  return { database, dataDir, values };
}

async function removeInstall({ database, dataDir }: Install): Promise<void> {
  await database.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

/** The API token, clients and CLI of a running app; `closeApp` stops the app before the database goes. */
function clientOf(install: Install, adminAddress: string, closeApp: () => Promise<void>): AppUnderTest {
  const { database, values } = install;
  const cliEnv = { ...process.env, ...values };
  const created = runGyre(['tokens', 'create', '--name', 'tests', '--json'], { env: cliEnv });
  if (created.status !== 0) throw new Error(`gyre tokens create failed: ${created.stderr}`);
  const token = (JSON.parse(created.stdout) as { token: string }).token;
  const base = `http://127.0.0.1:${values['GYRE_HTTP_PORT']}`;
  return {
    base,
    token,
    database,
    client: new GyreClient(base, token),
    api: (path, init = {}) =>
      fetch(`${base}${path}`, {
        method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
        headers: {
          authorization: `Bearer ${token}`,
          ...(init.body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
      }),
    createAccount: (login, password, { admin = false } = {}) => {
      const args = ['accounts', 'create', '--login', login, '--password-stdin', ...(admin ? ['--admin'] : [])];
      const made = runGyre(args, { env: cliEnv, input: password });
      if (made.status !== 0) throw new Error(`gyre accounts create --login ${login} failed: ${made.stderr}`);
    },
    openSignup: async () => {
      const console = new WebClient(adminAddress);
      const signedIn = await console.submit('/login', '/login', {
        login: 'admin',
        password: TEST_SECRETS.GYRE_ADMIN_PASSWORD,
      });
      if (signedIn.status !== 302) throw new Error(`signing in to the admin console answered ${signedIn.status}`);
      const opened = await console.submit('/accounts', '/accounts/signup', { signup: 'open' });
      if (opened.status !== 303) throw new Error(`opening sign-up answered ${opened.status}`);
    },
    stop: async () => {
      await closeApp();
      await removeInstall(install);
    },
  };
}

/** An administrator's grant (or withdrawal) of Docker in builds to a project, as the API makes it. */
export async function allowDockerInBuilds(
  services: Pick<ServicesUnderTest, 'api'>,
  projectId: number,
  allowed = true,
): Promise<void> {
  const answer = await services.api(`/api/v1/projects/${projectId}/docker-in-builds`, {
    method: 'PUT',
    body: { allowed },
  });
  if (answer.status !== 200) throw new Error(`the grant was answered ${answer.status}: ${await answer.text()}`);
}
