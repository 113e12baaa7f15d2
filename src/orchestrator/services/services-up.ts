/**
 * `gyre up`: the services stack on a Docker host, from settings to a healthy, migrated stack with
 * an API token for the orchestrator. Each step is safe to run again: images that exist are kept,
 * a healthy stack is left as it is, and a working API token is reused.
 */
import { resolve } from 'node:path';
import { httpsListenerUrl, servicesCaOf, type Settings } from '../../config/index.js';
import { createDockerClient, resolveDockerHost, type DockerHostOptions } from '../../docker/index.js';
import { APP_CONTAINER_PORTS, httpProbeArgv, renderServicesStack, SERVICES_PROJECT_NAME } from '../../render/index.js';
import { internal } from '../../shared/errors.js';
import { parseJsonFrom } from '../../shared/parse-json.js';
import { GYRE_VERSION } from '../../shared/package-files.js';
import type { GyreClient } from '../../client/gyre-client.js';
import { isReadableSelfSigned } from '../../shared/extra-ca.js';
import { apiClientOf } from '../api-client.js';
import { ComposeProject } from '../compose/compose-project.js';
import { addressOf, connectHost, type ConnectedHost } from '../hosts.js';
import { planImageBuild, runtimeImageRefs, shipImages } from '../images/index.js';
import { readStackTemplates } from '../stack/stack-templates.js';
import { writeStacks } from '../stack/write-stacks.js';
import type { Task } from '../tasks.js';
import type { StateFolder } from '../state-folder.js';

/** The command inside the app container. */
export const APP_CLI = ['node', '/opt/gyre/dist/cli.js'];

export interface UpOptions {
  readonly settings: Settings;
  readonly stateFolder: StateFolder;
  readonly hostText?: string;
  readonly tls?: DockerHostOptions;
  /** How long to wait for the app to answer, its database up. @default 300000 */
  readonly waitTimeoutMs?: number;
  /** Tasks run once the stack is rendered and before it starts: a restore puts the data in place there. */
  readonly beforeStart?: readonly Task[];
}

/** Where to go once the stack is up. */
export interface UpResult {
  readonly host: string;
  readonly uiUrl: string;
  readonly adminUrl: string;
  readonly apiUrl: string;
  readonly admin: { readonly user: string; readonly password: string | undefined };
}

export interface ServicesUp {
  readonly tasks: Task[];
  result(): UpResult;
  /** The API, once the token step has run. */
  api(): GyreClient;
  /** The connected host, once the first step has run. */
  host(): ConnectedHost;
  /** The rendered services stack on that host. */
  stack(): ComposeProject;
}

export function planServicesUp(options: UpOptions): ServicesUp {
  const { settings, stateFolder } = options;
  let target: ConnectedHost | undefined;
  let api: GyreClient | undefined;
  const connected = () => target ?? internal('the host was not checked yet');
  const stack = () =>
    new ComposeProject({
      host: connected().host,
      dir: stateFolder.dir,
      file: 'services.yml',
      projectName: SERVICES_PROJECT_NAME,
    });
  const address = () => addressOf(connected().host) ?? '127.0.0.1';
  // With TLS on, the plain port only redirects: the API is the HTTPS listener, under its name.
  const apiUrl = () => httpsListenerUrl(settings) ?? `http://${address()}:${settings.listen.httpPort}`;

  const tasks: Task[] = [
    {
      title: `Check the Docker host ${options.hostText ?? '(local)'}`,
      run: async () => {
        target = await connectHost(options.hostText, options.tls);
        return `${target.description}: Docker ${target.facts.version}, ${target.facts.cpus} CPUs, ${Math.round(target.facts.memoryBytes / 1024 ** 3)} GiB`;
      },
    },
    {
      title: 'Gyre images',
      run: async (onLine) => {
        const local = createDockerClient(resolveDockerHost(undefined, process.env));
        const refs = runtimeImageRefs(settings);
        // Every build step compares its inputs' hash with the image's label, so images that match
        // this version of Gyre are kept and only missing or stale ones are built.
        for (const step of planImageBuild(settings, { docker: local, offline: true })) {
          const built = await step.run(onLine);
          if (built.outcome === 'built') onLine(`${built.ref}: built (${built.reason})`);
        }
        const shipped = await shipImages(local, connected().docker, refs, onLine);
        return shipped.shipped.length > 0
          ? `shipped ${shipped.shipped.join(', ')} to ${connected().description}`
          : `present: ${refs.join(', ')}`;
      },
    },
    {
      title: 'Render the services stack',
      run: () => {
        const [file] = writeStacks(
          stateFolder.dir,
          [renderServicesStack(settings, readStackTemplates(), { version: GYRE_VERSION })],
          { warn: () => undefined },
        );
        return Promise.resolve(`wrote ${file}`);
      },
    },
    ...(options.beforeStart ?? []),
    {
      title: 'Start the services stack',
      run: async (onLine) => {
        await stack().up(onLine);
        onLine('waiting for the app to answer (it waits for the database first)');
        await stack().waitUntil(
          'app',
          // Plain HTTP answers /healthz whether TLS is on or not.
          httpProbeArgv(APP_CONTAINER_PORTS.http, '/healthz'),
          'the app to answer /healthz with its database up',
          options.waitTimeoutMs ?? 300_000,
        );
        const services = await stack().ps();
        return `running: ${services.map((s) => s.service).join(', ')}; the app answers`;
      },
    },
    {
      title: 'Migrate the database',
      run: async () => {
        const report = parseJsonFrom<{ current?: number; applied?: unknown[] }>(
          await stack().exec('app', [...APP_CLI, 'migrate', '--json']),
          '`gyre migrate --json` in the app container',
        );
        return `schema ${report.current ?? '?'} (${report.applied?.length ?? 0} applied now)`;
      },
    },
    {
      title: 'API token for the gyre command',
      run: async () => {
        const saved = stateFolder.loadApi();
        // Only at the address this start serves: turning TLS on moves the API to HTTPS.
        const reusable = saved && saved.url === apiUrl() ? apiClientOf(saved) : undefined;
        if (
          reusable &&
          (await reusable.builders().then(
            () => true,
            () => false,
          ))
        ) {
          api = reusable;
          return `reusing the token in ${stateFolder.dir}/api.json`;
        }
        const created = parseJsonFrom<{ token: string }>(
          await stack().exec('app', [...APP_CLI, 'tokens', 'create', '--name', `gyre-cli-${Date.now()}`, '--json']),
          '`gyre tokens create --json` in the app container',
        );
        const caFile = apiCaFile(settings);
        const record = {
          url: apiUrl(),
          token: created.token,
          ...(caFile !== undefined && { caFile: resolve(caFile) }),
        };
        stateFolder.saveApi(record);
        api = apiClientOf(record);
        return `saved to ${stateFolder.dir}/api.json`;
      },
    },
  ];

  return {
    tasks,
    api: () => api ?? internal('the API token step has not run'),
    host: connected,
    stack,
    result: () => ({
      host: connected().description,
      uiUrl: settings.publicUrl,
      adminUrl: `${settings.tls ? 'https' : 'http'}://${settings.hostname}:${settings.listen.adminPort}`,
      apiUrl: apiUrl(),
      admin: { user: 'admin', password: settings.secrets.adminPassword },
    }),
  };
}

/**
 * The bundle `gyre` trusts the HTTPS API with: GYRE_SERVICES_CA_FILE, else a self-signed
 * certificate of the services box, when this machine can read it. A certificate from a CA the
 * system trusts needs none (and then no Node.js with tls.setDefaultCACertificates either).
 */
function apiCaFile(settings: Settings): string | undefined {
  if (!settings.tls) return undefined;
  if (settings.builder.servicesCaFile !== undefined) return settings.builder.servicesCaFile;
  const certificate = servicesCaOf(settings);
  return certificate !== undefined && isReadableSelfSigned(certificate) ? certificate : undefined;
}
