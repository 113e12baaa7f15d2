/**
 * `gyre up`, `gyre down` and `gyre status`: the services stack on a Docker host.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { describeDockerHost } from '../../docker/index.js';
import { planJoin } from '../../orchestrator/builders/join-builder.js';
import { ComposeProject } from '../../orchestrator/compose/compose-project.js';
import { connectHost } from '../../orchestrator/hosts.js';
import { planServicesUp } from '../../orchestrator/services/services-up.js';
import { isHealthy, readStatus } from '../../orchestrator/services/services-status.js';
import { apiClientOf } from '../../orchestrator/api-client.js';
import { builderProjectName, SERVICES_PROJECT_NAME } from '../../render/index.js';
import { InvalidInputError } from '../../shared/errors.js';
import { formatRoomSize } from '../../shared/room-size.js';
import {
  orchestratorSettings,
  tlsOf,
  withHostOptions,
  withStateFolderOptions,
  stateFolderOf,
  type HostFlags,
  type OrchestratorOptions,
} from '../orchestrator-options.js';
import { createOutput, type Output } from '../output.js';
import { runTasks } from '../task-runner.js';

type StackOptions = OrchestratorOptions & HostFlags;

export function registerStackCommands(program: Command): void {
  withHostOptions(withStateFolderOptions(program.command('up')), 'for the services stack')
    .description('Bring up the services stack (images, render, compose up --wait, migrate) and print where to log in')
    .option(
      '--with-builder',
      'also join a builder on the same host: the single-machine evaluation install (1 slot, no CPU limit unless set)',
    )
    .addHelpText(
      'after',
      `
Safe to run again: existing images, a healthy stack and a working API token are kept.

Examples:
  $ gyre init && gyre up --with-builder        # everything on this machine
  $ gyre up --host ssh://ops@ci.example.com     # services on another host
Exit codes: 0 up, 2 invalid settings or flags, 3 a host unreachable, 4 timed out.`,
    )
    .action(async (options: StackOptions & { withBuilder?: boolean }) => {
      const output = createOutput(options.json === true);
      const settings = orchestratorSettings(options, output);
      const stateFolder = stateFolderOf(options);
      const up = planServicesUp({
        settings,
        stateFolder,
        ...(options.host && { hostText: options.host }),
        tls: tlsOf(options),
      });
      const join = options.withBuilder
        ? planJoin({
            settings,
            stateFolder,
            api: () => up.api(),
            ...(options.host && { hostText: options.host }),
            tls: tlsOf(options),
            name: settings.builder.name ?? 'local',
            slots: settings.builder.slots ?? 1,
            slotCpus: settings.builder.slots === undefined ? 0 : settings.builder.slotCpus,
          })
        : undefined;
      await runTasks([...up.tasks, ...(join?.tasks ?? [])], output, (line) => line);
      const result = { ...up.result(), ...(join && { builder: join.result() }) };
      if (output.jsonMode) return output.json(result);
      output.info(`
Gyre is up on ${result.host}.
  Web UI:         ${result.uiUrl}
  Admin console:  ${result.adminUrl}
  First admin:    ${result.admin.user} / ${result.admin.password ?? '(GYRE_ADMIN_PASSWORD is not set)'}   (admin console)
  Your account:   sign-up is closed; create accounts in the admin console (Accounts), or run
                  docker compose -p ${SERVICES_PROJECT_NAME} exec app gyre accounts create --login <you> --admin
  API:            ${result.apiUrl}   (token in ${stateFolder.dir}/api.json)${join ? `\n  Builder:        ${join.result().name}, ${formatRoomSize(join.result().builder.room)} for jobs` : ''}
Next: \`gyre status\`, or \`gyre builder join --host <docker-host>\` to add builders.`);
    });

  withHostOptions(withStateFolderOptions(program.command('down')), 'of the services stack')
    .description(
      'Stop and remove the services stack (and builders joined on the same host); data stays unless --volumes',
    )
    .option('--volumes', 'also delete the data volumes (database, git mirrors): asks for confirmation unless --yes')
    .option('--yes', 'do not ask')
    .addHelpText(
      'after',
      '\nExamples:\n  $ gyre down                    # keeps the data\n  $ gyre down --volumes --yes    # deletes everything',
    )
    .action(async (options: StackOptions & { volumes?: boolean; yes?: boolean }) => {
      const output = createOutput(options.json === true);
      const stateFolder = stateFolderOf(options);
      const services = join(stateFolder.dir, 'services.yml');
      if (!existsSync(services))
        throw new InvalidInputError('gyre down', [
          {
            input: '--dir',
            message: `no services stack was brought up from ${stateFolder.dir}: ${services} does not exist`,
            hint: 'run `gyre down` in the folder where you ran `gyre up`, or pass its state folder with --dir',
          },
        ]);
      const target = await connectHost(options.host, tlsOf(options));
      if (options.volumes && !options.yes) await confirmDataLoss(describeDockerHost(target.host), output);
      // Builders joined on the same host (the evaluation install's `local`) go down with the services.
      const sameHost = stateFolder.builderHosts().filter((record) => record.host === (options.host ?? ''));
      for (const record of sameHost) {
        await new ComposeProject({
          host: target.host,
          dir: stateFolder.builderDir(record.name),
          file: 'builder.yml',
          projectName: builderProjectName(record.name),
          env: { GYRE_JOIN_SECRET: '' },
        }).down(options.volumes === true);
        if (options.volumes) stateFolder.forgetBuilder(record.name);
      }
      await new ComposeProject({
        host: target.host,
        dir: stateFolder.dir,
        file: 'services.yml',
        projectName: SERVICES_PROJECT_NAME,
      }).down(options.volumes === true);
      const builders = sameHost.map((record) => record.name);
      if (output.jsonMode)
        return output.json({ host: target.description, builders, removedVolumes: options.volumes === true });
      output.info(
        `The services stack${builders.length > 0 ? ` and builder(s) ${builders.join(', ')} are` : ' is'} down on ${target.description}${options.volumes ? '; their data volumes are deleted' : '; their data volumes are kept'}.`,
      );
    });

  withHostOptions(withStateFolderOptions(program.command('status')), 'of the services stack')
    .description('Service health, builders and their slots, queue depth and the oldest queued job')
    .addHelpText(
      'after',
      '\nExit codes: 0 every service healthy, 1 something is not, 3 the host is unreachable.\n\nExample:\n  $ gyre status --json | jq .queue.depth',
    )
    .action(async (options: StackOptions) => {
      const output = createOutput(options.json === true);
      const stateFolder = stateFolderOf(options);
      const target = await connectHost(options.host, tlsOf(options));
      // Without api.json, readStatus reports the services box's side as unknown, with the fix.
      const record = stateFolder.loadApi();
      const status = await readStatus(target, stateFolder, record && apiClientOf(record));
      const healthy = isHealthy(status);
      if (!healthy) process.exitCode = 1;
      if (output.jsonMode) return output.json({ healthy, ...status });
      printStatus(status, healthy, output);
    });
}

function printStatus(status: Awaited<ReturnType<typeof readStatus>>, healthy: boolean, output: Output): void {
  output.info(`Gyre on ${status.host}: ${healthy ? 'healthy' : 'NOT healthy'}`);
  if ('error' in status.services) output.info(`  services: ${status.services.error}`);
  else
    for (const s of status.services)
      output.info(`  ${s.service.padEnd(8)} ${s.state}${s.health ? ` (${s.health})` : ''}`);
  output.info(
    `  API health: ${status.health.status}${status.health.database ? `, database ${status.health.database}` : ''}`,
  );
  if ('error' in status.builders) output.info(`  builders: ${status.builders.error}`);
  else
    output.info(
      `  builders: ${status.builders.total} (${
        Object.entries(status.builders.byState)
          .map(([s, n]) => `${n} ${s}`)
          .join(', ') || 'none'
      }); ${status.builders.runningJobs} job(s) running; ${formatRoomSize(status.builders.free)} free`,
    );
  if ('error' in status.queue) output.info(`  queue: ${status.queue.error}`);
  else
    output.info(
      `  queue: ${status.queue.depth} job(s)${status.queue.oldestJob ? `; oldest: job ${status.queue.oldestJob.jobId} ${status.queue.oldestJob.name} since ${status.queue.oldestQueuedAt}, ${status.queue.oldestJob.waitingBecause}` : ''}`,
    );
}

/** Deleting data needs a yes typed at a terminal; without one, it needs --yes. */
async function confirmDataLoss(host: string, output: Output): Promise<void> {
  if (!process.stdin.isTTY) {
    throw new InvalidInputError('gyre down', [
      {
        input: '--volumes',
        message: `deletes the database and every other data volume on ${host}, and no terminal is here to confirm it`,
        hint: 'add --yes to confirm, or leave out --volumes to keep the data',
      },
    ]);
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await prompt.question(
    `This deletes Gyre's database and data volumes on ${host}. Type "delete" to go on: `,
  );
  prompt.close();
  if (answer.trim() !== 'delete') {
    output.warn('nothing was changed');
    throw new InvalidInputError('gyre down', [
      { input: '--volumes', message: 'was not confirmed', hint: 'type "delete" at the prompt, or pass --yes' },
    ]);
  }
}
