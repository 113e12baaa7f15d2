/**
 * The orchestrator's folder on the operator's machine (`.gyre` by default): the rendered services
 * stack, one folder per builder with its rendered stack and the Docker host it lives on, and the
 * API address and token `gyre up` made. Nothing in it is needed by the services box or builders;
 * losing it loses only the orchestrator's memory of where each builder runs.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DockerHostOptions } from '../docker/index.js';
import { GyreError } from '../shared/errors.js';

/** How to reach a builder's Docker host again, as the operator gave it. */
export interface BuilderHostRecord {
  readonly name: string;
  /** `--host` as typed: a URL or a context name. */
  readonly host: string;
  readonly tls?: DockerHostOptions;
  /** Port of the agent's local API on that host. */
  readonly apiPort: number;
}

export interface ApiRecord {
  readonly url: string;
  readonly token: string;
}

export class Workspace {
  constructor(readonly dir: string) {}

  builderDir(name: string): string {
    return join(this.dir, 'builders', name);
  }

  saveApi(record: ApiRecord): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(join(this.dir, 'api.json'), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  }

  /** The API record, with GYRE_API_URL / GYRE_API_TOKEN taking precedence. */
  loadApi(env: Readonly<Record<string, string | undefined>> = process.env): ApiRecord | undefined {
    const stored = readJson<ApiRecord>(join(this.dir, 'api.json'));
    const url = env['GYRE_API_URL'] ?? stored?.url;
    const token = env['GYRE_API_TOKEN'] ?? stored?.token;
    return url && token ? { url: url.replace(/\/+$/, ''), token } : undefined;
  }

  saveBuilderHost(record: BuilderHostRecord): void {
    mkdirSync(this.builderDir(record.name), { recursive: true });
    writeFileSync(join(this.builderDir(record.name), 'host.json'), `${JSON.stringify(record, null, 2)}\n`);
  }

  builderHost(name: string): BuilderHostRecord | undefined {
    return readJson<BuilderHostRecord>(join(this.builderDir(name), 'host.json'));
  }

  builderHosts(): BuilderHostRecord[] {
    const root = join(this.dir, 'builders');
    if (!existsSync(root)) return [];
    return readdirSync(root).flatMap((name) => this.builderHost(name) ?? []);
  }

  forgetBuilder(name: string): void {
    rmSync(this.builderDir(name), { recursive: true, force: true });
  }
}

function readJson<T>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (error) {
    throw new GyreError(`${path} is damaged (${error instanceof Error ? error.message : String(error)}); delete it and run \`gyre up\` again`);
  }
}
