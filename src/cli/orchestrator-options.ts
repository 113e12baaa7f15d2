/**
 * What every orchestrator command shares: the settings file, the stateFolder folder, the Docker
 * host with its TLS files, and the API the stateFolder remembers.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Settings } from '../config/index.js';
import { ACCEPTED_HOSTS, type DockerHostOptions } from '../docker/index.js';
import type { GyreClient } from '../client/gyre-client.js';
import { apiClientOf } from '../orchestrator/api-client.js';
import { StateFolder } from '../orchestrator/state-folder.js';
import { GyreError } from '../shared/errors.js';
import type { Output } from './output.js';
import { loadCommandSettings } from './settings-source.js';

export interface OrchestratorOptions {
  readonly env?: string;
  readonly dir: string;
  readonly json?: boolean;
}

export interface HostFlags {
  readonly host?: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly tlsCa?: string;
}

export function withStateFolderOptions(command: Command): Command {
  return command
    .option('--env <file>', 'settings file (default ./.env); GYRE_* environment variables override it')
    .option('--dir <dir>', 'where the orchestrator keeps rendered stacks, builder hosts and its API token', '.gyre')
    .option('--json', 'print the result as JSON');
}

export function withHostOptions(command: Command, what: string): Command {
  return command
    .option(
      '--host <host>',
      `Docker host ${what}: ${ACCEPTED_HOSTS} (default: DOCKER_HOST, then the current context, then the local socket)`,
    )
    .option('--tls-cert <file>', 'client certificate for a tcp:// host with TLS (or DOCKER_CERT_PATH)')
    .option('--tls-key <file>', 'key of --tls-cert')
    .option('--tls-ca <file>', "CA bundle the engine's certificate must chain to");
}

export function tlsOf(flags: HostFlags): DockerHostOptions {
  return {
    ...(flags.tlsCert && { tlsCert: flags.tlsCert }),
    ...(flags.tlsKey && { tlsKey: flags.tlsKey }),
    ...(flags.tlsCa && { tlsCa: flags.tlsCa }),
  };
}

export function stateFolderOf(options: OrchestratorOptions): StateFolder {
  return new StateFolder(resolve(options.dir));
}

/** Settings for the orchestrator: `.env` under the process environment, as for image builds. */
export function orchestratorSettings(options: OrchestratorOptions, output: Output): Settings {
  const settings = loadCommandSettings({ env: options.env }, 'generate', output, true);
  warnAboutMissingCa(settings, output);
  return settings;
}

/** Image builds fetch from npm and Debian; behind a TLS-inspecting proxy they need its CA too. */
export function warnAboutMissingCa(settings: Settings, output: Output): void {
  if (settings.extraCaCertsFile === undefined && process.env['NODE_EXTRA_CA_CERTS']) {
    output.warn(
      `NODE_EXTRA_CA_CERTS is set on this machine but GYRE_EXTRA_CA_CERTS_FILE is not; if npm or apt inside image builds fail with certificate errors, set GYRE_EXTRA_CA_CERTS_FILE=${process.env['NODE_EXTRA_CA_CERTS']}`,
    );
  }
}

/** The API `gyre up` left in the stateFolder, or a clear error saying how to get one. */
export function apiOf(stateFolder: StateFolder): GyreClient {
  const record = stateFolder.loadApi();
  if (!record)
    throw new GyreError(
      `no API address and token in ${stateFolder.dir}/api.json; run \`gyre up\` first, or set GYRE_API_URL and GYRE_API_TOKEN (a token from \`gyre tokens create\`)`,
    );
  return apiClientOf(record);
}
