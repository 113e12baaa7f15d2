/**
 * `gyre doctor`: measures a running install end to end (the stack, its database, its disks, the
 * certificate it serves, the builders and their clocks, its blob store, the join secret's age,
 * GitHub, failing webhook deliveries, its last backup) and
 * judges each with doctor-checks.ts. A part that cannot be measured is itself a failed check with
 * its fix, so a broken install still gets a full checklist.
 */
import { isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Settings } from '../../config/index.js';
import type { ContainerClient, DockerHostOptions } from '../../docker/index.js';
import { SERVICES_PROJECT_NAME } from '../../render/index.js';
import { messageOf } from '../../shared/errors.js';
import type { GyreClient } from '../../client/gyre-client.js';
import { apiClientOf } from '../api-client.js';
import { addressOf, connectHost, type ConnectedHost } from '../hosts.js';
import { readStatus } from '../services/services-status.js';
import type { StateFolder } from '../state-folder.js';
import {
  backupCheck,
  buildersCheck,
  certificateCheck,
  clockCheck,
  deliveriesCheck,
  diskCheck,
  gitHubCheck,
  joinSecretCheck,
  type DiskSpace,
  type DoctorCheck,
} from './doctor-checks.js';

export interface DoctorOptions {
  readonly settings: Settings;
  readonly stateFolder: StateFolder;
  readonly hostText?: string;
  readonly tls?: DockerHostOptions;
  readonly now?: () => Date;
}

/** The newest webhook deliveries read to find failing ones: a busy day's worth is more, but these show a pattern. */
const DELIVERIES_READ = 100;

/** Where the bundled database keeps its files, in its container. */
const DATABASE_DIR = '/var/lib/postgresql/data';

export async function runDoctor(options: DoctorOptions): Promise<DoctorCheck[]> {
  const { settings, stateFolder } = options;
  const now = (options.now ?? (() => new Date()))();
  const target = await connectHost(options.hostText, options.tls);
  const record = stateFolder.loadApi();
  const api = record && apiClientOf(record);
  const status = await readStatus(target, stateFolder, api);
  const checks: DoctorCheck[] = [];

  if ('error' in status.services || status.services.length === 0)
    checks.push({
      check: 'services',
      status: 'fail',
      detail: 'error' in status.services ? status.services.error : `no services stack on ${target.description}`,
      fix: 'bring it up: `gyre up`',
    });
  else {
    const down = status.services.filter((s) => s.state !== 'running' || s.health === 'unhealthy');
    checks.push(
      down.length === 0
        ? { check: 'services', status: 'ok', detail: status.services.map((s) => `${s.service} running`).join(', ') }
        : {
            check: 'services',
            status: 'fail',
            detail: down.map((s) => `${s.service} is ${s.state}${s.health ? ` (${s.health})` : ''}`).join(', '),
            fix: `start it again with \`gyre up\`; its log says why it stopped: docker compose -p ${SERVICES_PROJECT_NAME} logs ${down[0]!.service}`,
          },
    );
  }

  const apiAnswers = status.health.database !== undefined;
  checks.push(
    status.health.database === 'up'
      ? {
          check: 'database',
          status: 'ok',
          detail:
            'the app reaches it, migrated (the app migrates at start and does not run on a schema it cannot migrate)',
        }
      : apiAnswers
        ? {
            check: 'database',
            status: 'fail',
            detail: 'the app cannot reach its database',
            fix: `start the database (\`gyre up\`); its log: docker compose -p ${SERVICES_PROJECT_NAME} logs db`,
          }
        : {
            check: 'database',
            status: 'fail',
            detail: `not known: the API does not answer (${status.health.status})`,
            fix: `check that the app runs (\`gyre status\`) and that this machine trusts the certificate it serves (the certificate check); its log: docker compose -p ${SERVICES_PROJECT_NAME} logs app`,
          },
  );

  const containers = target.docker.containers;
  const app = await containers.serviceContainer(SERVICES_PROJECT_NAME, 'app');
  const db = await containers.serviceContainer(SERVICES_PROJECT_NAME, 'db');
  checks.push(await disk(containers, app, 'data disk', 'the data volume (blobs, git mirrors)', settings.dataDir));
  if (settings.database.kind === 'bundled')
    checks.push(await disk(containers, db, 'database disk', 'the database volume', DATABASE_DIR));
  checks.push(await blobStore(containers, app, settings));
  checks.push(await certificate(target, settings, record?.url, now));

  if (apiAnswers && status.health.database !== 'up')
    checks.push({
      check: 'builders',
      status: 'skip',
      detail: 'the services box knows its builders from its database, which is down',
    });
  else if ('error' in status.builders || !api)
    checks.push({
      check: 'builders',
      status: 'fail',
      detail: 'error' in status.builders ? status.builders.error : 'no API token',
      fix: 'run `gyre up` in this folder (it writes the API token), or set GYRE_API_URL and GYRE_API_TOKEN',
    });
  else
    checks.push(
      await Promise.all([api.builders(), api.health()]).then(
        ([builders, health]) => buildersCheck(builders, health.version),
        (error: unknown): DoctorCheck => ({
          check: 'builders',
          status: 'fail',
          detail: `the API does not answer: ${messageOf(error)}`,
          fix: 'check the services stack (`gyre status`)',
        }),
      ),
    );
  checks.push(await clocks(target, stateFolder));
  if (api && status.health.database === 'up') checks.push(...(await servicesBoxChecks(api, now)));
  else
    for (const check of ['join secret', 'github', 'webhook deliveries'])
      checks.push({
        check,
        status: 'skip',
        detail: !api
          ? 'no API token'
          : apiAnswers
            ? 'the services box answers from its database, which is down'
            : 'the API does not answer',
      });
  // An older services box, or a token that is not an administrator's, has no answer: the state
  // folder's backup is then all doctor knows.
  const scheduled = await api?.backups().catch(() => undefined);
  checks.push(backupCheck(stateFolder.lastBackup(), scheduled, now));
  return checks;
}

/** What the services box tells about itself: the join secret, GitHub, its webhook deliveries. */
async function servicesBoxChecks(api: GyreClient, now: Date): Promise<DoctorCheck[]> {
  const asked = async (check: string, ask: () => Promise<DoctorCheck>): Promise<DoctorCheck> =>
    ask().catch((error: unknown): DoctorCheck => ({
      check,
      status: 'fail',
      detail: `the API does not answer: ${messageOf(error)}`,
      fix: "an administrator's token is needed (`gyre tokens create` in the app container); check the services stack (`gyre status`)",
    }));
  return Promise.all([
    asked('join secret', async () => joinSecretCheck(await api.joinSecretAge(), now)),
    asked('github', async () => gitHubCheck(await api.gitHubCheck())),
    asked('webhook deliveries', async () => deliveriesCheck(await api.deliveries(DELIVERIES_READ), now)),
  ]);
}

async function disk(
  containers: ContainerClient,
  container: string | undefined,
  check: string,
  what: string,
  path: string,
): Promise<DoctorCheck> {
  if (container === undefined)
    return { check, status: 'fail', detail: `${what}: its container is not running`, fix: 'start it: `gyre up`' };
  try {
    return diskCheck(check, what, parseDf(await containers.execText(container, ['df', '-Pk', path])));
  } catch (error) {
    return { check, status: 'fail', detail: `${what}: \`df\` failed: ${messageOf(error)}`, fix: 'start it: `gyre up`' };
  }
}

/** `df -Pk`'s second line: 1024-blocks, used, available. */
export function parseDf(out: string): DiskSpace {
  const fields = out.trim().split('\n')[1]?.trim().split(/\s+/) ?? [];
  const [total, , available] = fields.slice(1, 4).map(Number);
  if (total === undefined || available === undefined || Number.isNaN(total) || Number.isNaN(available))
    throw new Error(`unexpected output: ${out.trim().slice(0, 200)}`);
  return { totalBytes: total * 1024, availableBytes: available * 1024 };
}

async function blobStore(
  containers: ContainerClient,
  app: string | undefined,
  settings: Settings,
): Promise<DoctorCheck> {
  const check = 'blob store';
  if (settings.blobStore.kind === 's3')
    return { check, status: 'skip', detail: `s3://${settings.blobStore.bucket}: the app checks it as it stores blobs` };
  if (app === undefined)
    return { check, status: 'fail', detail: 'the app container is not running', fix: 'start it: `gyre up`' };
  try {
    // The app's own user must be able to write where blobs go (a restore by hand may leave root's).
    await containers.execText(app, ['sh', '-c', `test -w "$1"`, 'sh', settings.dataDir]);
    return { check, status: 'ok', detail: `${settings.dataDir} is writable by the app` };
  } catch {
    return {
      check,
      status: 'fail',
      detail: `${settings.dataDir} is not writable by the app's user`,
      fix: `give it back to the app: docker compose -p ${SERVICES_PROJECT_NAME} exec -u root app chown -R gyre:gyre ${settings.dataDir}`,
    };
  }
}

/** The certificate the HTTPS listener serves, read over TLS as a client sees it. */
async function certificate(
  target: ConnectedHost,
  settings: Settings,
  apiUrl: string | undefined,
  now: Date,
): Promise<DoctorCheck> {
  if (!settings.tls) return { check: 'certificate', status: 'skip', detail: 'HTTPS is off' };
  // Where `gyre` itself reaches the HTTPS listener (the bind address may not be loopback).
  const host = apiUrl?.startsWith('https:') ? new URL(apiUrl).hostname : (addressOf(target.host) ?? '127.0.0.1');
  try {
    const served = await new Promise<{ subject: string; validFrom: Date; validTo: Date }>((resolve, reject) => {
      const socket = tlsConnect(
        {
          host,
          port: settings.listen.httpsPort,
          // SNI takes names only; an address as the host name is sent without it.
          ...(isIP(settings.hostname) === 0 && { servername: settings.hostname }),
          rejectUnauthorized: false,
        },
        () => {
          const peer = socket.getPeerCertificate();
          socket.end();
          resolve({
            subject: peer.subject?.CN ? `the certificate of ${[peer.subject.CN].flat().join(', ')}` : 'the certificate',
            validFrom: new Date(peer.valid_from),
            validTo: new Date(peer.valid_to),
          });
        },
      );
      socket.setTimeout(10_000, () => socket.destroy(new Error('no answer in 10 s')));
      socket.on('error', reject);
    });
    return certificateCheck(served, now);
  } catch (error) {
    return {
      check: 'certificate',
      status: 'fail',
      detail: `the HTTPS listener at ${host}:${settings.listen.httpsPort} does not answer: ${messageOf(error)}`,
      fix: 'start the stack (`gyre up`) and check GYRE_TLS_CERT_FILE and GYRE_TLS_KEY_FILE',
    };
  }
}

/** Each recorded builder host's clock against the services host's, as their engines tell the time. */
async function clocks(target: ConnectedHost, stateFolder: StateFolder): Promise<DoctorCheck> {
  const services = await clockOffset(target);
  if (services === undefined)
    return { check: 'clocks', status: 'skip', detail: "the services host's engine does not tell its time" };
  const hosts = await Promise.all(
    stateFolder.builderHosts().map(async (record) => {
      try {
        const offsetMs = await clockOffset(await connectHost(record.host || undefined, record.tls ?? {}));
        return offsetMs === undefined ? undefined : { name: record.name, offsetMs };
      } catch {
        // An unreachable builder host is the builders check's to report (it will be lost).
        return undefined;
      }
    }),
  );
  return clockCheck(
    services,
    hosts.filter((h) => h !== undefined),
  );
}

/** How far a host's clock is from this machine's, taken at the middle of the request. */
async function clockOffset(host: ConnectedHost): Promise<number | undefined> {
  const sent = Date.now();
  const { systemTime } = await host.docker.info();
  const answered = Date.now();
  return systemTime === undefined ? undefined : Date.parse(systemTime) - (sent + answered) / 2;
}
