/**
 * The Docker CLI's own configuration folder, read the way the CLI reads it: `config.json` for
 * the current context, and the context store, where each context lives under the SHA-256 of
 * its name (`contexts/meta/<hash>/meta.json`, TLS files in `contexts/tls/<hash>/docker/`).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError, messageOf } from '../shared/errors.js';

/** Environment variables, as `process.env` holds them. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** The docker endpoint of one context, as stored; its Host is parsed by the caller. */
export interface DockerContextEndpoint {
  readonly name: string;
  /** `Endpoints.docker.Host`, such as `tcp://10.0.0.5:2376`; empty when the context has none. */
  readonly host: string;
  readonly skipTlsVerify: boolean;
  /** The context's TLS files that exist: ca.pem, cert.pem and key.pem. */
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  /** The meta.json it came from, named in errors. */
  readonly metaFile: string;
}

interface ContextMeta {
  readonly Name?: unknown;
  readonly Endpoints?: { readonly docker?: { readonly Host?: unknown; readonly SkipTLSVerify?: unknown } };
}

/** `$DOCKER_CONFIG`, else `~/.docker`, as the Docker CLI picks it. */
export function dockerConfigDir(env: Environment): string {
  const configured = env['DOCKER_CONFIG'];
  if (configured !== undefined && configured !== '') return configured;
  return join(env['HOME'] || homedir(), '.docker');
}

/** The `currentContext` of `config.json`, or undefined when there is none. */
export function readCurrentContext(configDir: string): string | undefined {
  const file = join(configDir, 'config.json');
  const config = readJson(file) as { currentContext?: unknown } | undefined;
  const current = config?.currentContext;
  return typeof current === 'string' && current !== '' ? current : undefined;
}

/** One context's docker endpoint, or undefined when no context has that name. */
export function readDockerContext(configDir: string, name: string): DockerContextEndpoint | undefined {
  const id = createHash('sha256').update(name).digest('hex');
  const metaFile = join(configDir, 'contexts', 'meta', id, 'meta.json');
  const meta = readJson(metaFile) as ContextMeta | undefined;
  if (meta === undefined) return undefined;
  const docker = meta.Endpoints?.docker;
  const tlsDir = join(configDir, 'contexts', 'tls', id, 'docker');
  const present = (file: string): string | undefined =>
    existsSync(join(tlsDir, file)) ? join(tlsDir, file) : undefined;
  return {
    name,
    host: typeof docker?.Host === 'string' ? docker.Host : '',
    skipTlsVerify: docker?.SkipTLSVerify === true,
    caFile: present('ca.pem'),
    certFile: present('cert.pem'),
    keyFile: present('key.pem'),
    metaFile,
  };
}

/** The names of the contexts in the store, sorted; `default` always exists. */
export function listDockerContexts(configDir: string): string[] {
  const metaDir = join(configDir, 'contexts', 'meta');
  const ids = existsSync(metaDir) ? readdirSync(metaDir) : [];
  const names = ids
    .map((id) => readContextName(join(metaDir, id, 'meta.json')))
    .filter((name): name is string => name !== undefined);
  return ['default', ...names.filter((name) => name !== 'default').sort()];
}

/** A context's name, or undefined for an entry the CLI would not list either. */
function readContextName(metaFile: string): string | undefined {
  if (!existsSync(metaFile)) return undefined;
  const meta = readJson(metaFile) as ContextMeta | undefined;
  return typeof meta?.Name === 'string' ? meta.Name : undefined;
}

/** A JSON file's content, or undefined when it does not exist. */
function readJson(file: string): unknown {
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InvalidInputError(file, [
      {
        input: file,
        message: `is not valid JSON (${messageOf(error)})`,
        hint: 'fix or remove it; `docker context ls` shows what the Docker CLI makes of it',
      },
    ]);
  }
}
