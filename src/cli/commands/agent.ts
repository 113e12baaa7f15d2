import type { Command } from 'commander';
import { z } from 'zod';
import { readExtraCa, trustAlso } from '../../shared/extra-ca.js';
import { port } from '../../config/values.js';
import { flagValue } from '../flag-value.js';
import { createOutput } from '../output.js';
import { loadCommandSettings } from '../settings-source.js';
import { ExitCode, GyreError } from '../../shared/errors.js';
import { GYRE_VERSION } from '../../shared/package-files.js';
import { AGENT_API_PORT } from '../../protocol/index.js';

/** A port, or 0 for one the system picks. */
const LOCAL_API_PORT = z
  .string()
  .regex(/^\d+$/, { error: 'must be a port number (1-65535), or 0 for any free port' })
  .transform(Number)
  .pipe(z.number().max(65535, { error: 'must be a port number (1-65535), or 0 for any free port' }));

interface AgentOptions {
  readonly env?: string;
  readonly stateDir: string;
  readonly apiPort: string;
}

interface DrainOptions {
  readonly wait: boolean;
  readonly json?: boolean;
}

export function registerAgentCommand(program: Command): void {
  const agent = program
    .command('agent')
    .description(
      "Run a builder: join the services box and run jobs in containers on this host's Docker Engine (used inside the builder stack)",
    )
    .option('--env <file>', '.env file to read under the process environment')
    .option('--state-dir <dir>', "where the builder keeps its identity (the builder stack's volume)", '/var/lib/gyre')
    .option(
      '--api-port <port>',
      'port of the local API on 127.0.0.1 (health check, drain); 0 picks one',
      String(AGENT_API_PORT),
    )
    .addHelpText(
      'after',
      `
Settings come from the environment: GYRE_SERVICES_URL (or SERVICES_PRIVATE_IP), GYRE_JOIN_SECRET
(or CIRCLE_SECRET_PASSPHRASE), and optionally GYRE_SERVICES_CA_FILE (for an https:// services
URL whose certificate the system does not trust), GYRE_BUILDER_NAME, GYRE_BUILDER_SLOTS
(CIRCLE_NUM_CONTAINERS), GYRE_SLOT_CPUS, GYRE_SLOT_MEMORY, GYRE_DRAIN_TIMEOUT, GYRE_JOB_MAX_SERVICES,
GYRE_JOB_DISK, GYRE_EGRESS_POLICY, GYRE_EGRESS_ALLOW, GYRE_EGRESS_DENY, GYRE_SSH_PORTS, GYRE_SSH_HOST.

SSH into builds: unless GYRE_SSH_PORTS=off, it listens on the range's first free port (64535
by default) on every address of the host, for the sessions of jobs rerun with SSH (user job-<id>),
with an Ed25519 host key it makes at first start and keeps in --state-dir.

At start it writes the jobs' egress policy on the engine's host (iptables rules in DOCKER-USER
and INPUT, through a short-lived helper container with NET_ADMIN): jobs reach the internet and
their own services, never the services box, this host, other jobs, 169.254.0.0/16 or a Docker API.
It checks them every 5 minutes and writes them again if a firewall reload removed them. With
GYRE_EGRESS_POLICY=off it removes the jumps an earlier start wrote. With GYRE_JOB_DISK set, it
first checks that the engine can hold a container's file system to that size.

Signals: SIGTERM drains (no new jobs, running ones finish, exit 0 once drained);
a second SIGTERM stops the running jobs at once, and they are retried on another builder.

Exit codes: 0 drained, or revoked by an administrator (the stack's restart policy then leaves
it stopped); 1 failed, or the services box no longer knows its credential (a restart joins
again); 2 bad settings, or registration refused (join secret, name taken); 143 stopped at once.

Examples:
  $ GYRE_SERVICES_URL=http://10.0.0.5 GYRE_JOIN_SECRET=... gyre agent
  $ gyre agent drain          # on the builder box: drain and wait until it is drained`,
    )
    .action(async (options: AgentOptions) => {
      // Checked before anything starts, so a bad port never leaves a registered builder behind.
      const apiPort = flagValue('--api-port', options.apiPort, LOCAL_API_PORT, String(AGENT_API_PORT));
      const settings = loadCommandSettings({ env: options.env }, 'agent', createOutput(false, process.stderr), true);
      const [
        { default: Dockerode },
        { DockerJobBackend },
        { Agent, BuilderRevokedError },
        { startLocalApi },
        { createLogger },
        { DockerodeContainers, DEFAULT_DOCKER_SOCKET },
      ] = await Promise.all([
        import('dockerode'),
        import('../../docker/docker-job-backend.js'),
        import('../../builder/agent/agent.js'),
        import('../../builder/agent/local-api.js'),
        import('../../shared/create-logger.js'),
        import('../../docker/index.js'),
      ]);
      const logger = createLogger('agent', settings.logLevel);
      const builder = settings.builder;
      // Before the first call to the services box: its certificate is checked against it.
      if (builder.servicesCaFile !== undefined) trustAlso(builder.servicesCaFile, 'GYRE_SERVICES_CA_FILE');
      let running: Awaited<ReturnType<typeof Agent.start>>;
      const docker = new Dockerode();
      try {
        running = await Agent.start(
          new DockerJobBackend(docker),
          {
            servicesUrl: builder.servicesUrl!,
            ...(builder.movedFrom !== undefined && { movedFrom: builder.movedFrom }),
            joinSecret: settings.secrets.joinSecret!,
            ...(builder.name !== undefined && { name: builder.name }),
            stateDir: options.stateDir,
            slots: {
              ...(builder.slots !== undefined && { slots: builder.slots }),
              slotCpus: builder.slotCpus,
              slotMemoryBytes: builder.slotMemoryBytes,
            },
            drainTimeoutMs: builder.drainTimeoutMs,
            egress: builder.egress,
            maxServicesPerJob: builder.maxServicesPerJob,
            ...(builder.jobDiskBytes !== undefined && { jobDiskBytes: builder.jobDiskBytes }),
            ...(builder.dockerInBuilds !== 'off' && { engineImage: settings.images.engine }),
            ...(builder.dockerInBuilds === 'machine' && { machineImage: settings.images.machine }),
            layerCacheBytes: builder.layerCacheBytes,
            helperImage: settings.images.app,
            outbound: {
              proxy: settings.proxy,
              ...(settings.extraCaCertsFile !== undefined && { extraCa: readExtraCa(settings.extraCaCertsFile) }),
            },
            version: GYRE_VERSION,
            ...(builder.ssh && {
              ssh: {
                first: builder.ssh.first,
                last: builder.ssh.last,
                ...(builder.ssh.host !== undefined && { host: builder.ssh.host }),
              },
            }),
          },
          logger,
          new DockerodeContainers({ kind: 'unix', socketPath: DEFAULT_DOCKER_SOCKET }, docker),
        );
      } catch (error) {
        if (!(error instanceof BuilderRevokedError)) throw error;
        // Exit 0: the stack's on-failure restart policy must not bring a revoked builder back.
        logger.error({ reason: error.message }, 'this builder was revoked by an administrator; not starting');
        return;
      }
      const api = await startLocalApi(running, apiPort);
      logger.info({ localApi: api.url }, 'local API listening');
      process.once('SIGTERM', onFirstSignal);
      process.once('SIGINT', onFirstSignal);
      function onFirstSignal(): void {
        running.drain();
        process.once('SIGTERM', () => running.stopNow());
        process.once('SIGINT', () => running.stopNow());
      }
      const exit = await running.done;
      await api.close();
      logger.info({ code: exit.code, reason: exit.reason }, exit.code === 0 ? `${exit.reason}; exiting` : 'exiting');
      process.exitCode = exit.code;
    });

  agent
    .command('drain')
    .description('Drain the builder on this box: no new jobs; running ones finish; the agent exits once drained')
    // `--api-port` is the parent command's option (commander gives it to `agent`, before or after
    // `drain`), so it is read from there; its default is the stack's port.
    .option('--no-wait', 'return once the drain is requested')
    .option('--json', "print the agent's status as JSON")
    .addHelpText(
      'after',
      `\n--api-port <port> (an option of \`gyre agent\`, default ${AGENT_API_PORT}) names the agent's local API port.\nExit codes: 0 drained (or requested, with --no-wait), 3 no agent answers on the port.\n\nExample:\n  $ docker compose exec agent gyre agent drain\n  $ gyre agent drain --api-port 7624    # the second builder on this box during a roll`,
    )
    .action(async (_options: DrainOptions, command: Command) => {
      const options = command.optsWithGlobals<DrainOptions & { apiPort: string }>();
      const output = createOutput(options.json === true);
      const base = `http://127.0.0.1:${flagValue('--api-port', options.apiPort, port, String(AGENT_API_PORT))}`;
      const status = await callAgent(`${base}/drain`, 'POST');
      output.info(`Draining builder ${status.name}: ${status.runningJobs.length} job(s) still running`);
      if (!options.wait) return output.jsonMode ? output.json(status) : undefined;
      let last = status.runningJobs.length;
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const now = await callAgent(`${base}/healthz`, 'GET').catch(() => undefined);
        // The agent exits once drained, so a closed port after a drain request means done.
        if (now === undefined) break;
        if (now.runningJobs.length !== last) output.info(`${now.runningJobs.length} job(s) still running`);
        last = now.runningJobs.length;
      }
      output.info(`Builder ${status.name} is drained`);
      if (output.jsonMode) output.json({ ...status, state: 'drained', runningJobs: [] });
    });
}

interface AgentStatusBody {
  readonly name: string;
  readonly state: string;
  readonly runningJobs: readonly number[];
}

async function callAgent(url: string, method: 'GET' | 'POST'): Promise<AgentStatusBody> {
  let response: Response;
  try {
    response = await fetch(url, { method, signal: AbortSignal.timeout(5000) });
  } catch (error) {
    throw new GyreError(
      `no builder agent answers at ${url} (${(error as Error).message}); is the builder stack running on this box, and is --api-port right?`,
      ExitCode.unavailable,
      { cause: error },
    );
  }
  if (!response.ok)
    throw new GyreError(
      `the agent at ${url} answered ${response.status}: ${await response.text()}`,
      ExitCode.unavailable,
    );
  return (await response.json()) as AgentStatusBody;
}
