/**
 * The pieces of a stack that are not in the Compose file itself: secrets (written by the CLI as
 * files beside it, mode 600) and host files mounted as configs. Keeping secrets out of the
 * Compose file keeps them out of `docker inspect` and out of the committed default render.
 */
import { formatMemorySize, type Settings } from '../config/index.js';
import { LABELS } from '../shared/labels.js';

/** A secret the stack reads from `./secrets/<file>`; `value` is undefined when the setting is unset. */
export interface StackSecret {
  /** Compose secret name, also the file name under /run/secrets in the container. */
  readonly name: string;
  /** Path of the file relative to the Compose file's folder. */
  readonly file: string;
  /** The setting the value comes from. */
  readonly setting: string;
  readonly value: string | undefined;
}

export const SECRETS_DIR = 'secrets';

export function stackSecret(name: string, setting: string, value: string | undefined): StackSecret {
  return { name, file: `./${SECRETS_DIR}/${name}`, setting, value };
}

/** Environment for outbound traffic: proxies and extra CAs, in the spellings tools look for. */
export function outboundEnvironment(settings: Settings, caPathInContainer: string | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  const { http, https, noProxy } = settings.proxy;
  // The GYRE_ spellings too: the agent reads them as settings and passes them to its jobs.
  if (http) Object.assign(env, { HTTP_PROXY: http, http_proxy: http, GYRE_HTTP_PROXY: http });
  if (https) Object.assign(env, { HTTPS_PROXY: https, https_proxy: https, GYRE_HTTPS_PROXY: https });
  if (noProxy) Object.assign(env, { NO_PROXY: noProxy, no_proxy: noProxy, GYRE_NO_PROXY: noProxy });
  // Node's fetch honours the proxy variables only when asked to.
  if (http || https) env['NODE_USE_ENV_PROXY'] = '1';
  if (caPathInContainer)
    Object.assign(env, { NODE_EXTRA_CA_CERTS: caPathInContainer, GYRE_EXTRA_CA_CERTS_FILE: caPathInContainer });
  return env;
}

/** The labels every object of a stack carries (templates/labels.hbs). */
export const STACK_LABEL_NAMES = { stack: LABELS.stack, service: LABELS.service, version: LABELS.version } as const;

/**
 * Docker's log rotation for a stack's containers (json-file, which `docker logs` still reads). Without
 * it a container's log grows until the disk is full.
 */
export function containerLogging(settings: Settings): { readonly maxSize: string; readonly maxFile: string } {
  return {
    maxSize: formatMemorySize(settings.containerLogs.maxSizeBytes),
    maxFile: String(settings.containerLogs.maxFiles),
  };
}

/**
 * Bash, run with the port and the path: answers 0 when `GET http://127.0.0.1:<port><path>` gives
 * 200. Only bash builtins (its /dev/tcp, read, test), because Docker runs a health check every few
 * seconds for as long as the stack is up: a Node process per probe cost
 * about 0.8 s of CPU, 8% of a core at one probe every 10 s, on an install that does nothing else.
 */
const HTTP_PROBE =
  'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf \'GET %s HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n\' "$2" >&3 && read -r _ status _ <&3 && [ "$status" = 200 ]';

/** The command that probes a local HTTP endpoint inside a container (for `docker exec`). */
export function httpProbeArgv(port: number, path: string): readonly string[] {
  return ['bash', '-c', HTTP_PROBE, 'http-probe', String(port), path];
}

/** The same probe as a Compose health check `test`. */
export function httpHealthTest(port: number, path: string): readonly string[] {
  // `$$` is Compose's escape for a literal `$`, which bash then sees.
  return ['CMD', ...httpProbeArgv(port, path).map((arg) => arg.replaceAll('$', () => '$$'))];
}

/** Secrets and configs in the shape the templates iterate over. */
export function composeFileMaps(secrets: readonly StackSecret[], configs: Readonly<Record<string, string>>) {
  return {
    secretFiles: Object.fromEntries(secrets.map((s) => [s.name, s.file])),
    configFiles: Object.keys(configs).length > 0 ? configs : null,
  };
}

/** Keys in a fixed order, so the rendered file does not depend on insertion order. */
export function sortKeys(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
