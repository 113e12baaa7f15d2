/**
 * `gyre builder join|list|drain|remove|roll`: builders on any Docker host.
 */
import { resolve } from 'node:path';
import { readExtraCa } from '../../shared/extra-ca.js';
import { formatRoomSize } from '../../shared/room-size.js';
import type { Command } from 'commander';
import { cpuCount, duration, httpUrl, memorySize, wholeNumber } from '../../config/values.js';
import { drainBuilder, planRemove, planRoll, waitUntilDrained } from '../../orchestrator/builders/fleet-actions.js';
import { planJoin } from '../../orchestrator/builders/join-builder.js';
import {
  apiOf,
  orchestratorSettings,
  tlsOf,
  withHostOptions,
  withStateFolderOptions,
  stateFolderOf,
  type HostFlags,
  type OrchestratorOptions,
} from '../orchestrator-options.js';
import { flagValue } from '../flag-value.js';
import { createOutput } from '../output.js';
import { runTasks } from '../task-runner.js';

interface JoinFlags extends OrchestratorOptions, HostFlags {
  readonly name?: string;
  readonly slots?: string;
  readonly slotCpus?: string;
  readonly slotMemory?: string;
  readonly servicesUrl?: string;
  readonly servicesCa?: string;
  readonly timeout: string;
}

export function registerBuilderCommands(program: Command): void {
  const builder = program
    .command('builder')
    .description('Join, list, drain, remove and roll builders on any Docker host');

  withHostOptions(withStateFolderOptions(builder.command('join')), 'to run the builder on')
    .description(
      'Join a builder on a Docker host: ship the Gyre image, bring up the builder stack, wait for it to register',
    )
    .option('--name <name>', "builder name (default: the Docker host's name)")
    .option('--slots <n>', "concurrent jobs (default: computed from the host's CPUs and memory)")
    .option('--slot-cpus <n>', 'CPUs per job; 0 for no limit')
    .option('--slot-memory <size>', 'memory per job, e.g. 4G')
    .option(
      '--services-url <url>',
      'where the builder reaches the services box (default: GYRE_SERVICES_URL, or loopback on the local host)',
    )
    .option(
      '--services-ca <file>',
      'PEM bundle that vouches for the services certificate, for an https:// services URL the system does not trust (default: GYRE_SERVICES_CA_FILE)',
    )
    .option('--timeout <duration>', 'how long to wait for the registration', '3m')
    .addHelpText(
      'after',
      `
Joining the same name on the same host again changes nothing and shows the builder.
Joining it again with another --services-url (the install was restored elsewhere) keeps its
identity, and stops its agent at once: jobs it was running are requeued by the services box.

Examples:
  $ gyre builder join --host ssh://ops@build-1.example.com --services-url http://10.0.0.5
  $ gyre builder join --host tcp://10.0.0.7:2376 --tls-cert cert.pem --tls-key key.pem --tls-ca ca.pem --slots 4
  $ gyre builder join --host ssh://ops@build-2 --services-url https://ci.example.com --services-ca tls/cert.pem`,
    )
    .action(async (flags: JoinFlags) => {
      const output = createOutput(flags.json === true);
      const settings = orchestratorSettings(flags, output);
      const stateFolder = stateFolderOf(flags);
      const join = planJoin({
        settings,
        stateFolder,
        api: () => apiOf(stateFolder),
        ...(flags.host && { hostText: flags.host }),
        tls: tlsOf(flags),
        ...(flags.name && { name: flags.name }),
        ...(flags.slots !== undefined && { slots: flagValue('--slots', flags.slots, wholeNumber(1), '4') }),
        ...(flags.slotCpus !== undefined && { slotCpus: flagValue('--slot-cpus', flags.slotCpus, cpuCount, '2') }),
        ...(flags.slotMemory !== undefined && {
          slotMemoryBytes: flagValue('--slot-memory', flags.slotMemory, memorySize, '4G'),
        }),
        ...(flags.servicesUrl !== undefined && {
          servicesUrl: flagValue('--services-url', flags.servicesUrl, httpUrl, 'http://10.0.0.5').replace(/\/+$/, ''),
        }),
        ...(flags.servicesCa !== undefined && { servicesCaFile: servicesCaOf(flags.servicesCa) }),
        timeoutMs: flagValue('--timeout', flags.timeout, duration, '3m'),
      });
      await runTasks(join.tasks, output, (line) => line);
      const result = join.result();
      if (output.jsonMode) return output.json(result);
      output.info(
        `Builder ${result.name} is ${result.builder.state} on ${result.host} with ${formatRoomSize(result.builder.room)} for jobs.`,
      );
    });

  withStateFolderOptions(builder.command('list'))
    .description(
      'Every builder: name, host, state, jobs running, free CPU and memory for jobs, Docker in builds, version, last seen',
    )
    .addHelpText(
      'after',
      "\nJOBS counts leased and running jobs. ROOM is what the builder gives jobs (its slots together);\nFREE is what their resource classes leave: a job runs where its class fits what is free.\nDOCKER is the builder's GYRE_DOCKER_IN_BUILDS: off, remote (setup_remote_docker) or machine (also machine jobs).\n\nExample:\n  $ gyre builder list --json | jq '.[] | select(.room.freeMemoryBytes >= 8589934592) | .name'",
    )
    .action(async (flags: OrchestratorOptions) => {
      const output = createOutput(flags.json === true);
      const stateFolder = stateFolderOf(flags);
      const builders = (await apiOf(stateFolder).builders()).filter((b) => b.state !== 'revoked');
      const rows = builders.map((b) => ({ ...b, dockerHost: stateFolder.builderHost(b.name)?.host ?? null }));
      if (output.jsonMode) return output.json(rows);
      if (rows.length === 0) return output.info('No builders. Join one with `gyre builder join --host <docker-host>`.');
      const table = [
        ['NAME', 'HOST', 'STATE', 'JOBS', 'FREE', 'ROOM', 'DOCKER', 'VERSION', 'LAST SEEN'],
        ...rows.map((b) => [
          b.name,
          b.dockerHost || b.host,
          b.state,
          String(b.runningJobs),
          formatRoomSize({ cpus: b.room.freeCpus, memoryBytes: b.room.freeMemoryBytes }),
          formatRoomSize(b.room),
          b.dockerInBuilds ?? 'off',
          b.version,
          b.lastSeenAt,
        ]),
      ];
      const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
      for (const row of table)
        output.info(
          row
            .map((cell, i) => cell.padEnd(widths[i]!))
            .join('  ')
            .trimEnd(),
        );
    });

  withStateFolderOptions(builder.command('drain'))
    .argument('<name>', 'the builder')
    .description('Drain a builder: no new jobs; running ones finish; at the deadline they are stopped and requeued')
    .option('--deadline <duration>', 'how long running jobs may take', '30m')
    .option('--wait', 'show progress until the builder is drained')
    .addHelpText(
      'after',
      '\nDraining again keeps the earlier deadline unless the new one is sooner.\n\nExample:\n  $ gyre builder drain build-1 --deadline 1h --wait',
    )
    .action(async (name: string, flags: OrchestratorOptions & { deadline: string; wait?: boolean }) => {
      const output = createOutput(flags.json === true);
      const deadlineMs = flagValue('--deadline', flags.deadline, duration, '30m');
      const api = apiOf(stateFolderOf(flags));
      let result = await drainBuilder(api, name, Math.round(deadlineMs / 1000));
      output.info(`${name} is ${result.state} (deadline ${result.drainDeadline ?? 'none'})`);
      if (flags.wait) result = await waitUntilDrained(api, name, (line) => output.info(line));
      if (output.jsonMode) output.json(result);
    });

  withStateFolderOptions(builder.command('remove'))
    .argument('<name>', 'the builder')
    .description('Remove a drained builder: its stack comes down on its host and its credential is revoked')
    .option('--force', 'drain it with a zero deadline first (its jobs are requeued)')
    .addHelpText('after', '\nExample:\n  $ gyre builder drain build-1 --wait && gyre builder remove build-1')
    .action(async (name: string, flags: OrchestratorOptions & { force?: boolean }) => {
      const output = createOutput(flags.json === true);
      const stateFolder = stateFolderOf(flags);
      await runTasks(
        planRemove({ api: apiOf(stateFolder), stateFolder, name, force: flags.force === true }),
        output,
        (line) => line,
      );
      if (output.jsonMode) output.json({ removed: name });
    });

  withStateFolderOptions(builder.command('roll'))
    .description(
      'Replace builders with new ones on the current image: join the successor, drain the old one, remove it',
    )
    .option('--host <host...>', 'only the builders on these Docker hosts (as given to join)')
    .option('--deadline <duration>', 'drain deadline of the old builders', '30m')
    .addHelpText(
      'after',
      '\nCapacity never drops: each successor joins before its predecessor drains.\n\nExample:\n  $ gyre images build --offline && gyre builder roll',
    )
    .action(async (flags: OrchestratorOptions & { host?: string[]; deadline: string }) => {
      const output = createOutput(flags.json === true);
      const settings = orchestratorSettings(flags, output);
      const stateFolder = stateFolderOf(flags);
      const roll = planRoll({
        settings,
        stateFolder,
        api: () => apiOf(stateFolder),
        hosts: flags.host ?? [],
        drainDeadlineSeconds: Math.round(flagValue('--deadline', flags.deadline, duration, '30m') / 1000),
      });
      await runTasks(roll.tasks, output, (line) => line);
      if (output.jsonMode) output.json({ replaced: roll.replaced() });
    });
}

/** The --services-ca file as an absolute path, checked to hold a certificate before anything changes. */
function servicesCaOf(file: string): string {
  const path = resolve(file);
  readExtraCa(path, '--services-ca');
  return path;
}
