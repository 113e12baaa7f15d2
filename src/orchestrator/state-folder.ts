/**
 * The orchestrator's folder on the operator's machine (`.gyre` by default): the rendered services
 * stack, one folder per builder with its rendered stack and the Docker host it lives on, and the
 * API address and token `gyre up` made. Nothing in it is needed by the services box or builders;
 * losing it loses only the orchestrator's memory of where each builder runs.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DockerHostOptions } from '../docker/index.js';
import type { SlotSettings } from '../protocol/index.js';
import { GyreError, messageOf } from '../shared/errors.js';

/** How to reach a builder's Docker host again, as the operator gave it. */
export interface BuilderHostRecord {
  readonly name: string;
  /** `--host` as typed: a URL or a context name. */
  readonly host: string;
  readonly tls?: DockerHostOptions;
  /** Port of the agent's local API on that host. */
  readonly apiPort: number;
  /** Where the builder reaches the services box. */
  readonly servicesUrl: string;
  /** The address it reached before the install moved (GYRE_BUILDER_MOVED_FROM), kept so joins again render the same. */
  readonly movedFrom?: string;
  /** The CA bundle it verifies the services certificate with, when one was given. */
  readonly servicesCaFile?: string;
  /** The slot settings it was joined with (a roll joins its successor with the same). */
  readonly slots: SlotSettings;
}

export interface ApiRecord {
  readonly url: string;
  readonly token: string;
  /** The bundle that vouches for an HTTPS services box's certificate, when it needs one. */
  readonly caFile?: string;
}

/** The last backup `gyre backup create` made, and what `gyre backup verify` found of it. */
export interface LastBackupRecord {
  readonly backup: string;
  readonly createdAt: string;
  readonly verified?: boolean;
  readonly verifiedAt?: string;
}

export class StateFolder {
  constructor(readonly dir: string) {}

  builderDir(name: string): string {
    return join(this.dir, 'builders', name);
  }

  saveApi(record: ApiRecord): void {
    mkdirSync(this.dir, { recursive: true });
    // Written beside and renamed, so the token is never readable by others, even over an older file.
    const path = join(this.dir, 'api.json');
    writeFileSync(`${path}.tmp`, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
  }

  /** The API record, with GYRE_API_URL / GYRE_API_TOKEN taking precedence. */
  loadApi(env: Readonly<Record<string, string | undefined>> = process.env): ApiRecord | undefined {
    const stored = readJson<ApiRecord>(join(this.dir, 'api.json'));
    // An empty variable counts as unset, as the Docker CLI treats an empty DOCKER_HOST.
    const url = env['GYRE_API_URL'] || stored?.url;
    const token = env['GYRE_API_TOKEN'] || stored?.token;
    const caFile = env['GYRE_API_CA_FILE'] || stored?.caFile;
    return url && token ? { url: url.replace(/\/+$/, ''), token, ...(caFile && { caFile }) } : undefined;
  }

  /** Remembers the last backup made from here, for `gyre doctor`. */
  saveLastBackup(record: LastBackupRecord): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(join(this.dir, 'last-backup.json'), `${JSON.stringify(record, null, 2)}\n`);
  }

  lastBackup(): LastBackupRecord | undefined {
    return readJson<LastBackupRecord>(join(this.dir, 'last-backup.json'), 'make a backup again');
  }

  saveBuilderHost(record: BuilderHostRecord): void {
    mkdirSync(this.builderDir(record.name), { recursive: true });
    writeFileSync(join(this.builderDir(record.name), 'host.json'), `${JSON.stringify(record, null, 2)}\n`);
  }

  builderHost(name: string): BuilderHostRecord | undefined {
    return readJson<BuilderHostRecord>(
      join(this.builderDir(name), 'host.json'),
      `join the builder again with \`gyre builder join --name ${name}\`, or remove its stack on its host by hand`,
    );
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

function readJson<T>(path: string, fix = 'run `gyre up` again'): T | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (error) {
    throw new GyreError(`${path} is damaged (${messageOf(error)}); delete it, then ${fix}`);
  }
}
