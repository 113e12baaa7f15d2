/**
 * A throwaway PostgreSQL of the install's database image, on a network of its own, for checking
 * a backup: restored into, counted, migrated by the app image, then removed with its network.
 */
import { randomBytes } from 'node:crypto';
import { generateSecrets } from '../../config/index.js';
import type { ContainerClient, FinishedRun } from '../../docker/index.js';
import { LABELS } from '../../shared/labels.js';
import { TimeoutError } from '../../shared/errors.js';
import type { DatabaseLogin } from './database-restore.js';

/** How long the scratch database may take to initialise and accept connections. */
const READY_TIMEOUT_MS = 120_000;
/** How long `gyre migrate` may take on the restored database before verify gives up on it. */
const MIGRATE_TIMEOUT_MS = 30 * 60_000;
/** A scratch database older than this belongs to no verify still running: one was killed. */
const LEFTOVER_AFTER_MS = 24 * 60 * 60_000;

/** Removes scratch databases (and networks) a killed `verify` left; resolves to how many. */
export function removeLeftoverScratchDatabases(containers: ContainerClient): Promise<number> {
  return containers.removeLeftovers(LABELS.scratchDatabase, LEFTOVER_AFTER_MS);
}

export interface ScratchDatabase {
  readonly container: string;
  /** Runs `gyre migrate --json` of the app image against it; resolves to the exit code and output. */
  migrate(appImage: string): Promise<FinishedRun>;
  remove(): Promise<void>;
}

export async function startScratchDatabase(
  containers: ContainerClient,
  image: string,
  login: DatabaseLogin,
  purpose: string,
): Promise<ScratchDatabase> {
  const name = `gyre-scratch-${randomBytes(4).toString('hex')}`;
  const password = randomBytes(18).toString('base64url');
  const labels = { [LABELS.scratchDatabase]: purpose };
  await containers.createNetwork(name, labels);
  let container: string | undefined;
  const remove = async () => {
    if (container !== undefined) await containers.remove(container);
    await containers.removeNetwork(name);
  };
  try {
    container = await containers.run({
      name: `${name}-db`,
      image,
      env: [`POSTGRES_USER=${login.user}`, `POSTGRES_DB=${login.name}`, `POSTGRES_PASSWORD=${password}`],
      labels,
      network: { name, alias: 'db' },
    });
    await waitUntilReady(containers, container, login);
  } catch (error) {
    await remove();
    throw error;
  }
  const url = `postgres://${encodeURIComponent(login.user)}:${password}@db:5432/${encodeURIComponent(login.name)}`;
  return {
    container,
    remove,
    migrate: (appImage) => {
      // `gyre migrate` loads the services box's settings, which require its secrets; migrations
      // use none of them, so throwaway values do.
      const secrets = Object.entries(generateSecrets((size) => randomBytes(size))).map(([k, v]) => `${k}=${v}`);
      return containers.runToEnd({
        name: `${name}-migrate`,
        image: appImage,
        cmd: ['migrate', '--json'],
        env: [...secrets, `GYRE_DATABASE_URL=${url}`],
        labels,
        network: { name, alias: 'migrate' },
        timeoutMs: MIGRATE_TIMEOUT_MS,
      });
    },
  };
}

async function waitUntilReady(containers: ContainerClient, container: string, login: DatabaseLogin): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    try {
      // TCP, not the socket: the image's entrypoint initialises on a socket-only server first.
      await containers.execText(container, ['pg_isready', '-h', '127.0.0.1', '-U', login.user, '-d', login.name]);
      return;
    } catch (error) {
      if (Date.now() >= deadline)
        throw new TimeoutError(
          `the scratch PostgreSQL to accept connections (${(error as Error).message})`,
          READY_TIMEOUT_MS,
        );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
