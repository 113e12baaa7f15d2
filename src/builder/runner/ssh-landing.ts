/**
 * Where a rerun with SSH's sessions land (see JobSshAccess): the primary container, in the job's
 * working directory (made, as a step would make it, and resolved to the absolute path the engine's
 * exec needs), with the job's variables, and the addresses of its service containers for `ssh -L`.
 */
import type { JobBackend } from '../../docker/index.js';
import { jobEnvironment, toEnvList } from './environment.js';
import { DEFAULT_WORKING_DIRECTORY, directoryExpression } from './shell.js';
import { outputOf } from './step-runner.js';
import type { RunnerJob, SshLanding } from './types.js';

export interface StartedService {
  /** The name the job reaches it at. */
  readonly alias: string;
  readonly id: string;
}

export async function sshLandingOf(
  backend: JobBackend,
  job: RunnerJob,
  primary: string,
  network: string,
  services: readonly StartedService[],
  added: Readonly<Record<string, string>> = {},
): Promise<SshLanding> {
  const resolved = await outputOf(backend, primary, workdirProbeArgv(job.spec.workingDirectory));
  const workdir = resolved.trim().split('\n').pop() ?? '';
  const addresses = await Promise.all(
    services.map(async (service) => [service.alias, await backend.addressOn(service.id, network)] as const),
  );
  return {
    container: primary,
    // A directory that could not be made (a read-only image): sessions start where the engine puts them.
    workdir: workdir.startsWith('/') ? workdir : '/',
    env: toEnvList(jobEnvironment(job, added)),
    services: Object.fromEntries(
      addresses.filter((entry): entry is readonly [string, string] => entry[1] !== undefined),
    ),
  };
}

/** Makes the job's working directory, as a step would, and prints its absolute path (`gyre-workdir` names the shell). */
export function workdirProbeArgv(workingDirectory: string): string[] {
  const where = directoryExpression(workingDirectory || DEFAULT_WORKING_DIRECTORY);
  return ['/bin/sh', '-c', `mkdir -p -- ${where} && cd -- ${where} && pwd`, 'gyre-workdir'];
}
