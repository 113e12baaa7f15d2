/**
 * `gyre agent`: one builder. It measures the host's Docker Engine, removes what an earlier run
 * left behind, registers (keeping its identity in its volume), then leases as many jobs as fit its
 * free CPU and memory and runs each in a {@link JobSession} until it is drained.
 *
 * Drain has three doors that lead to the same room: SIGTERM, `gyre agent drain` (the local API)
 * and a drain set through the services API. In each case the agent takes no new job, lets the
 * running ones finish, sees the services box report `drained`, and exits 0. At the drain deadline
 * the remaining jobs are killed (the services box requeues them); a second SIGTERM stops them at
 * once, completed as infrastructure failures.
 */
import type { EgressSettings } from '../../config/index.js';
import type { ContainerClient, JobBackend } from '../../docker/index.js';
import type { Logger } from 'pino';
import {
  MAX_LEASE_WAIT_S,
  type BuilderFacts,
  type BuilderState,
  type BuilderStatus,
  type JobLease,
} from '../../protocol/index.js';
import { ExitCode, GyreError, messageOf } from '../../shared/errors.js';
import {
  builderNameOf,
  computeCapacity,
  jobRoomOf,
  roomLeft,
  type Capacity,
  type JobNeed,
  type JobRoom,
  type SlotSettings,
} from '../../protocol/index.js';
import {
  BackgroundCleanup,
  cleanupBuilder,
  ImageToolsCache,
  JobResourcePool,
  MAX_POOL_SIZE,
  ToolsVolume,
  LayerCaches,
  unreachableProxies,
  type Outbound,
} from '../runner/index.js';
import { applyEgressPolicy, EGRESS_RECHECK_MS, keepEgressPolicy, removeEgressPolicy } from './egress-policy.js';
import { checkDiskLimit } from './disk-limit.js';
import { checkDockerImages, checkEngine, dockerInBuildsOf, type DockerImages } from './engine-image.js';
import { IdentityFile } from './identity-file.js';
import { JobSession } from './job-session.js';
import {
  BuilderRevokedError,
  CredentialRefusedError,
  isBuilderRefusal,
  ProtocolClient,
  StaleLeaseError,
  type BuilderRefusal,
} from './protocol-client.js';
import { retryWhileUnavailable } from './retry.js';
import { jobIdOfUser, startSshGateway, type AgentSshSettings, type StartedGateway } from './ssh/start-gateway.js';
import type { SessionEvent } from './ssh/ssh-gateway.js';
import { Wakeup } from './wakeup.js';

export interface AgentConfig {
  readonly servicesUrl: string;
  /** The services URL the identity was saved for, when the install was restored at servicesUrl. */
  readonly movedFrom?: string;
  readonly joinSecret: string;
  /** @default the Docker host's name, made into a valid builder name */
  readonly name?: string;
  /** Where the identity is kept (the builder stack's volume). */
  readonly stateDir: string;
  readonly slots: SlotSettings;
  readonly drainTimeoutMs: number;
  /** The agent's own image, for checkout steps. */
  readonly helperImage: string;
  /** The proxy and extra CA this builder uses, given to its jobs. */
  readonly outbound?: Outbound;
  /** The most service containers a job may have besides its primary (GYRE_JOB_MAX_SERVICES). */
  readonly maxServicesPerJob: number;
  /**
   * The image of each job's own Docker engine when this builder offers Docker in builds
   * (GYRE_DOCKER_IN_BUILDS=remote); it must be on the engine's host at start. @default none: it offers none
   */
  readonly engineImage?: string;
  /**
   * The image `machine` jobs run in, when this builder runs them too (GYRE_DOCKER_IN_BUILDS=machine,
   * which needs `engineImage`); it must be on the engine's host at start. @default none
   */
  readonly machineImage?: string;
  /** The most a project's layer cache may hold when a job takes it (GYRE_LAYER_CACHE_SIZE); 0 or none: no layer caches. */
  readonly layerCacheBytes?: number;
  /** The most bytes each job container may write into its own file system (GYRE_JOB_DISK); checked at start. */
  readonly jobDiskBytes?: number;
  /** What jobs may reach (GYRE_EGRESS_POLICY, GYRE_EGRESS_ALLOW), applied on the engine's host at start. */
  readonly egress: EgressSettings;
  /** How often the running agent checks that the policy's jumps are still there. @default EGRESS_RECHECK_MS */
  readonly egressRecheckMs?: number;
  readonly version: string;
  /** @default HEARTBEAT_INTERVAL_MS */
  readonly heartbeatIntervalMs?: number;
  /** @default the runner's 10 s */
  readonly killGraceMs?: number;
  /** @default 5 hours */
  readonly jobTimeoutMs?: number;
  /** SSH into builds (GYRE_SSH_PORTS, GYRE_SSH_HOST); none when undefined. Needs `containers` at start. */
  readonly ssh?: AgentSshSettings;
}

/** What the agent reports on its local API and in its logs. */
export interface AgentStatus {
  readonly name: string;
  readonly builderId: number;
  readonly state: BuilderState;
  readonly localDrain: boolean;
  readonly capacity: Capacity;
  readonly runningJobs: readonly number[];
}

/**
 * How the agent ended: 0 drained, or revoked by an administrator (so the stack's `on-failure`
 * restart policy leaves it stopped: restarting cannot help); 1 failed or its credential is
 * unknown (a restart joins again); 143 stopped at once.
 */
export interface AgentExit {
  readonly code: number;
  readonly reason: string;
}

const DEFAULT_JOB_TIMEOUT_MS = 5 * 3_600_000;
/** How long an idle agent asked to drain tries to tell the services box before it exits anyway. */
const IDLE_DRAIN_REPORT_MS = 15_000;
/** How often an idle, draining agent asks whether it is drained yet. */
const DRAIN_POLL_MS = 1_000;
/** How long before a drain deadline reruns with SSH stop waiting for sessions, to complete in time. */
const SSH_WAIT_BEFORE_DEADLINE_MS = 60_000;
/** The most jobs one lease answer may bring; what fits the builder's room bounds it first. */
const MAX_LEASES_AT_ONCE = 16;

export class Agent {
  private readonly sessions = new Map<number, JobSession>();
  /** What each running job's resource class takes of this builder's room. */
  private readonly needs = new Map<number, JobNeed>();
  private readonly wakeup = new Wakeup();
  private state: BuilderState = 'active';
  private deadlineTimer: NodeJS.Timeout | undefined;
  /** Ends the SSH reruns' waits for sessions a minute before the drain deadline. */
  private sshWaitTimer: NodeJS.Timeout | undefined;
  private localDrain = false;
  private drainReported = false;
  private stoppingNow = false;
  private refused: BuilderRefusal | undefined;
  private leaseAbort = new AbortController();
  /** The projects' layer caches, each held by one job at a time; none unless the builder offers Docker in builds. */
  private readonly layerCaches: LayerCaches | undefined;
  /** Removals of ended jobs, after they completed; one per slot at most, so they keep up. */
  private readonly cleanup: BackgroundCleanup;
  /** What the primary images of earlier jobs offered the step runner. */
  private readonly imageTools = new ImageToolsCache();
  /** The next jobs' networks and volumes, made while slots are free. */
  private readonly resourcePool: JobResourcePool;
  /** The `circleci` script every primary mounts. */
  private readonly toolsVolume: ToolsVolume;
  /** Resolves when the agent has stopped; the CLI exits with its code. */
  readonly done: Promise<AgentExit>;

  private constructor(
    private readonly backend: JobBackend,
    private readonly client: ProtocolClient,
    private readonly config: AgentConfig,
    private readonly logger: Logger,
    readonly name: string,
    readonly builderId: number,
    readonly capacity: Capacity,
    /** Whether the engine nests cgroups, so that a job's limits bound all its containers together. */
    private readonly sharedCgroup: boolean,
    /** The engine host's CPUs, above which no job's CPU limit may go. */
    private readonly hostCpus: number,
    /** The ids of the engine and machine images the settings name, as found at start: jobs run them by id. */
    private readonly pinned: DockerImages,
    /** The SSH gateway, when this builder offers SSH into builds. */
    private readonly ssh: StartedGateway | undefined,
  ) {
    const cacheBytes = config.layerCacheBytes ?? 0;
    this.layerCaches =
      config.engineImage !== undefined && cacheBytes > 0 ? new LayerCaches(name, cacheBytes) : undefined;
    this.cleanup = new BackgroundCleanup(Math.max(1, capacity.slots), (jobId, error) =>
      this.logger.error(
        { jobId, err: error },
        "could not remove an ended job's containers, network or volume; the agent's next start removes them",
      ),
    );
    this.resourcePool = new JobResourcePool(
      backend,
      name,
      config.helperImage,
      Math.min(Math.max(1, capacity.slots), MAX_POOL_SIZE),
      (error) =>
        this.logger.warn({ err: error }, 'could not make a network and volume ahead of a job; jobs make their own'),
    );
    this.resourcePool.fill();
    this.toolsVolume = new ToolsVolume(backend, name, config.helperImage, (error) =>
      this.logger.warn(
        { err: error },
        'could not make the volume with the circleci script; jobs get a copy each, and a job a minute later tries again',
      ),
    );
    // Made now, so that the first job does not wait for it.
    void this.toolsVolume.name();
    this.done = this.loop()
      .catch((error: unknown): AgentExit => {
        if (error instanceof BuilderRevokedError) return revokedExit(error);
        this.logger.error({ err: error }, 'the agent stopped on an error');
        return { code: 1, reason: messageOf(error) };
      })
      // Nothing an ended job made is left behind by an agent that stops (drained or not).
      .then(async (exit) => {
        await this.cleanup.idle();
        const [pool, tools] = await Promise.allSettled([this.resourcePool.close(), this.toolsVolume.remove()]);
        if (pool.status === 'rejected')
          this.logger.warn(
            { err: pool.reason },
            "could not remove the networks, volumes and holders made ahead of jobs; the agent's next start removes them",
          );
        if (tools.status === 'rejected')
          this.logger.warn(
            { err: tools.reason },
            "could not remove the volume with the circleci script; the agent's next start removes it",
          );
        return exit;
      });
  }

  /** Measures, cleans up, registers and starts leasing. Throws when the host or the services box refuses. */
  static async start(
    backend: JobBackend,
    config: AgentConfig,
    logger: Logger,
    /** What SSH sessions reach the job's containers through; without it the builder offers no SSH. */
    containers?: ContainerClient,
  ): Promise<Agent> {
    const info = await backend.info();
    const name = config.name ?? builderNameOf(info.name);
    const capacity = computeCapacity({ cpus: info.cpus, memoryBytes: info.memoryBytes }, config.slots);
    const log = logger.child({ builder: name });
    log.info(
      {
        cpus: info.cpus,
        memoryBytes: info.memoryBytes,
        slots: capacity.slots,
        slotCpus: capacity.slotCpus,
        slotMemoryBytes: capacity.slotMemoryBytes,
        explicit: capacity.explicit,
        roomForJobs: jobRoomOf(capacity),
        limitsPerJob: info.nestedCgroups
          ? 'shared by its containers'
          : 'per container (the engine does not nest cgroups)',
      },
      'capacity',
    );
    await cleanupBuilder(backend, name).catch((error: unknown) =>
      log.warn({ err: error }, 'could not remove everything an earlier run left behind'),
    );
    // Before registering, so that no job ever runs on a host without the policy.
    const helpers = { ...config, builderName: name };
    if (config.egress.enforce) await applyEgressPolicy(backend, helpers, log);
    else await removeEgressPolicy(backend, helpers, log);
    if (config.jobDiskBytes !== undefined)
      await checkDiskLimit(backend, { ...helpers, jobDiskBytes: config.jobDiskBytes });
    const pinned = await checkDockerImages(backend, config);
    await checkEngine(backend, pinned, name);
    for (const proxy of unreachableProxies(config.outbound))
      log.warn(
        { proxy },
        "jobs are given a proxy on this host's loopback, which their containers cannot reach (each has a loopback of its own): give the proxy an address on the host's network and put it in GYRE_EGRESS_ALLOW",
      );

    // Before registering, so that the builder's facts can say where its sessions are taken.
    // Sessions are of jobs, which the agent made below runs.
    const events: { to?: Agent } = {};
    const ssh =
      config.ssh && containers
        ? await startSshGateway(
            containers,
            config.ssh,
            { stateDir: config.stateDir, dockerHostName: info.name },
            (event) => events.to?.onSshEvent(event),
            log,
          )
        : undefined;
    const client = new ProtocolClient(config.servicesUrl);
    const identities = new IdentityFile(config.stateDir, (reason) =>
      log.warn({ reason }, 'ignoring a damaged builder identity: joining as a new builder'),
    );
    const identity = await identities.load(config.servicesUrl, name, config.movedFrom);
    const facts: BuilderFacts = {
      name,
      host: info.name,
      cpus: info.cpus,
      memoryBytes: info.memoryBytes,
      dockerVersion: info.serverVersion,
      version: config.version,
      slots: capacity.slots,
      slotCpus: capacity.slotCpus,
      slotMemoryBytes: capacity.slotMemoryBytes,
      ...(dockerInBuildsOf(config) !== 'off' && { dockerInBuilds: dockerInBuildsOf(config) }),
      ...(ssh && { ssh: ssh.facts }),
    };
    const registered = await retryWhileUnavailable(
      () =>
        client.register(config.joinSecret, {
          facts,
          ...(identity && { identity: { builderId: identity.builderId, credential: identity.credential } }),
        }),
      {
        onRetry: (error, waitMs) => log.warn({ err: error.message, retryInMs: waitMs }, 'waiting for the services box'),
      },
    ).catch(async (error: unknown) => {
      await ssh?.gateway.close();
      throw registrationError(error, config.servicesUrl);
    });
    // A new credential, or an identity kept across a move: saved for the address it is good at now.
    if (registered.credential !== undefined || identity?.servicesUrl !== config.servicesUrl)
      await identities.save(config.servicesUrl, name, client.currentIdentity!);
    log.info(
      { builderId: registered.builderId, state: registered.state, kept: registered.credential === undefined },
      'registered',
    );
    const agent = new Agent(
      backend,
      client,
      config,
      log,
      name,
      registered.builderId,
      capacity,
      info.nestedCgroups,
      info.cpus,
      pinned,
      ssh,
    );
    events.to = agent;
    if (ssh) void agent.done.finally(() => ssh.gateway.close());
    agent.updateStatus({ state: registered.state, drainDeadline: null });
    if (config.egress.enforce) {
      const watch = keepEgressPolicy(backend, helpers, log, config.egressRecheckMs ?? EGRESS_RECHECK_MS);
      void agent.done.finally(() => watch.stop());
    }
    return agent;
  }

  status(): AgentStatus {
    return {
      name: this.name,
      builderId: this.builderId,
      state: this.state,
      localDrain: this.localDrain,
      capacity: this.capacity,
      runningJobs: [...this.sessions.keys()],
    };
  }

  /** A session's start or end, reported by the job it is of (for the audit log). */
  private onSshEvent(event: SessionEvent): void {
    const jobId = jobIdOfUser(event.job);
    const session = jobId === undefined ? undefined : this.sessions.get(jobId);
    if (!session) return this.logger.warn({ event }, 'an SSH session event of no job this builder runs');
    session.reportSsh({
      kind: event.kind,
      account: event.account,
      fingerprint: event.fingerprint,
      what: event.what.slice(0, 1_000),
      ...(event.exitCode !== undefined && { exitCode: event.exitCode }),
    });
  }

  /** SIGTERM or `gyre agent drain`: take no new jobs and exit once the running ones are done. */
  drain(): void {
    if (this.localDrain) return;
    this.localDrain = true;
    this.logger.info({ running: this.sessions.size }, 'draining: no new jobs; waiting for the running ones');
    this.leaseAbort.abort();
    this.wakeup.wake();
  }

  /** A second SIGTERM: stop the running jobs now; they are requeued as infrastructure failures. */
  stopNow(): void {
    if (this.stoppingNow) return;
    this.stoppingNow = true;
    this.logger.warn({ running: this.sessions.size }, 'stopping now: the running jobs are stopped and requeued');
    for (const session of this.sessions.values()) session.stopNow();
    this.leaseAbort.abort();
    this.wakeup.wake();
  }

  private async loop(): Promise<AgentExit> {
    for (;;) {
      if (this.refused instanceof BuilderRevokedError) return await this.endAll(revokedExit(this.refused));
      if (this.refused)
        return await this.endAll({
          code: 1,
          reason: `the services box refused this builder's credential (${this.refused.message}); join it again`,
        });
      if (this.stoppingNow) return await this.endAll({ code: 143, reason: 'stopped at once' });
      if (this.state === 'active' && !this.localDrain) {
        await this.leaseMore();
        continue;
      }
      if (this.state === 'drained' && this.sessions.size === 0) return { code: 0, reason: 'drained' };
      if (this.localDrain && !this.drainReported) {
        // Idle and asked to stop: telling the services box is a courtesy, not a reason to stay up.
        if (this.sessions.size === 0 && !(await this.reportDrain(IDLE_DRAIN_REPORT_MS)))
          return { code: 0, reason: 'drained (the services box could not be told; it will see this builder as lost)' };
        if (this.sessions.size > 0) await this.reportDrain();
        continue;
      }
      if (this.sessions.size === 0) {
        this.updateStatus((await retryWhileUnavailable(() => this.client.heartbeat(), this.retryLog())).builder);
        if (this.state !== 'drained') await this.wakeup.wait(DRAIN_POLL_MS);
        continue;
      }
      await this.wakeup.wait(this.config.heartbeatIntervalMs);
    }
  }

  /**
   * Long-polls for jobs, naming the jobs it runs: the services box leases only what fits the room
   * they leave, and answers a waiting poll when a job ends or the queue moves. Without memory left
   * by its own count no job fits: it waits for one of its jobs to end instead.
   */
  private async leaseMore(): Promise<void> {
    if (this.freeRoom().memoryBytes === 0) return await this.wakeup.wait();
    this.leaseAbort = new AbortController();
    try {
      const answer = await retryWhileUnavailable(
        () =>
          this.client.lease(
            { max: MAX_LEASES_AT_ONCE, waitSeconds: MAX_LEASE_WAIT_S, running: [...this.sessions.keys()] },
            this.leaseAbort.signal,
          ),
        { ...this.retryLog(), signal: this.leaseAbort.signal },
      );
      this.updateStatus(answer.builder);
      for (const lease of answer.leases) this.startSession(lease);
    } catch (error) {
      if (this.leaseAbort.signal.aborted) return;
      if (isBuilderRefusal(error)) this.refused = error;
      else throw error;
    }
  }

  private freeRoom(): JobRoom {
    const used = [...this.needs.values()].reduce(
      (sum, need) => ({ cpus: sum.cpus + need.cpus, memoryBytes: sum.memoryBytes + need.memoryBytes }),
      { cpus: 0, memoryBytes: 0 },
    );
    return roomLeft(jobRoomOf(this.capacity), used);
  }

  private startSession(lease: JobLease): void {
    // The services box leases no job this agent says it runs; were it to, a second session would
    // remove the first one's containers (cleanup goes by the job's label). The new lease expires.
    if (this.sessions.has(lease.jobId)) {
      this.logger.warn({ jobId: lease.jobId }, 'leased a job this builder still runs; leaving the new lease to expire');
      return;
    }
    const session = new JobSession(lease, {
      client: this.client,
      backend: this.backend,
      logger: this.logger,
      run: {
        builderName: this.name,
        room: jobRoomOf(this.capacity),
        helperImage: this.config.helperImage,
        // Gyre's own images by name: a job may use them only as built here, never pulled.
        reservedImages: [this.config.helperImage, this.config.engineImage, this.config.machineImage].filter(
          (image) => image !== undefined,
        ),
        sharedCgroup: this.sharedCgroup,
        hostCpus: this.hostCpus,
        maxServices: this.config.maxServicesPerJob,
        ...(this.config.jobDiskBytes !== undefined && { diskBytes: this.config.jobDiskBytes }),
        ...(this.pinned.engineImage !== undefined && { engineImage: this.pinned.engineImage }),
        ...(this.layerCaches !== undefined && { layerCaches: this.layerCaches }),
        ...(this.pinned.machineImage !== undefined && { machineImage: this.pinned.machineImage }),
        ...(this.config.outbound !== undefined && { outbound: this.config.outbound }),
        jobTimeoutMs: this.config.jobTimeoutMs ?? DEFAULT_JOB_TIMEOUT_MS,
        backgroundCleanup: this.cleanup,
        imageTools: this.imageTools,
        resourcePool: this.resourcePool,
        toolsVolume: this.toolsVolume,
        ...(this.config.killGraceMs !== undefined && { killGraceMs: this.config.killGraceMs }),
      },
      ...(this.config.heartbeatIntervalMs !== undefined && { heartbeatIntervalMs: this.config.heartbeatIntervalMs }),
      ...(this.ssh && {
        ssh: { door: this.ssh.gateway, address: { host: this.ssh.facts.host, port: this.ssh.facts.port } },
      }),
      onBuilderStatus: (status) => this.updateStatus(status),
      onCredentialRefused: (error) => {
        this.refused = error;
        // A waiting long-poll would hold the loop until it ends: the credential is gone anyway.
        this.leaseAbort.abort();
        this.wakeup.wake();
      },
    });
    this.sessions.set(lease.jobId, session);
    const { cpus, memoryMiB } = lease.spec.resourceClass;
    this.needs.set(lease.jobId, { cpus, memoryBytes: memoryMiB * 1024 ** 2 });
    void session.run().then((end) => {
      this.sessions.delete(lease.jobId);
      this.needs.delete(lease.jobId);
      if (end.kind === 'abandoned') this.logger.warn({ jobId: lease.jobId, reason: end.reason }, 'job abandoned');
      this.wakeup.wake();
    });
  }

  /** Tells the services box this builder drains; resolves false when it did not answer within `withinMs`. */
  private async reportDrain(withinMs?: number): Promise<boolean> {
    const deadlineSeconds = Math.round(this.config.drainTimeoutMs / 1000);
    const signal = withinMs === undefined ? undefined : AbortSignal.timeout(withinMs);
    try {
      this.updateStatus(
        (
          await retryWhileUnavailable(() => this.client.drain({ deadlineSeconds }), {
            ...this.retryLog(),
            ...(signal && { signal }),
          })
        ).builder,
      );
      this.drainReported = true;
      return true;
    } catch (error) {
      if (signal?.aborted) return false;
      if (!isBuilderRefusal(error)) throw error;
      this.refused = error;
      return true;
    }
  }

  /** Follows the state the services box reports; a drain deadline kills what still runs when it comes. */
  private updateStatus(status: BuilderStatus): void {
    if (status.state !== this.state) {
      this.logger.info(
        { from: this.state, to: status.state, drainDeadline: status.drainDeadline },
        'builder state changed',
      );
      this.state = status.state;
      if (status.state !== 'active') this.leaseAbort.abort();
      this.wakeup.wake();
    }
    clearTimeout(this.deadlineTimer);
    clearTimeout(this.sshWaitTimer);
    this.deadlineTimer = undefined;
    // Set again below while the builder drains with a deadline; otherwise SSH reruns wait in full.
    for (const session of this.sessions.values()) session.resumeSshWait();
    const deadline = status.drainDeadline === null ? NaN : Date.parse(status.drainDeadline);
    if (status.state === 'draining' && status.drainDeadline !== null && !Number.isFinite(deadline)) {
      this.logger.warn(
        { drainDeadline: status.drainDeadline },
        'the services box sent a drain deadline that is not a date; waiting for the running jobs without one',
      );
    } else if (status.state === 'draining' && Number.isFinite(deadline)) {
      const inMs = Math.max(0, deadline - Date.now());
      this.deadlineTimer = setTimeout(() => {
        for (const session of this.sessions.values())
          session.abandon('the drain deadline passed; the services box requeues the job');
      }, inMs);
      this.deadlineTimer.unref();
      // A rerun with SSH whose steps have ended completes as they ended before the deadline: given
      // up at the deadline, its steps would run again elsewhere.
      this.sshWaitTimer = setTimeout(
        () => {
          for (const session of this.sessions.values()) session.endSshWait("The builder's drain deadline is near");
        },
        Math.max(0, inMs - SSH_WAIT_BEFORE_DEADLINE_MS),
      );
      this.sshWaitTimer.unref();
    }
  }

  /** Ends every session (they were told to stop or the lease is gone) and waits for them. */
  private async endAll(exit: AgentExit): Promise<AgentExit> {
    if (this.refused) for (const session of this.sessions.values()) session.abandon('the builder was revoked');
    while (this.sessions.size > 0) await this.wakeup.wait();
    clearTimeout(this.deadlineTimer);
    clearTimeout(this.sshWaitTimer);
    return exit;
  }

  private retryLog() {
    return {
      onRetry: (error: Error, waitMs: number) =>
        this.logger.warn({ err: error.message, retryInMs: waitMs }, 'services box unavailable; retrying'),
    };
  }
}

export { BuilderRevokedError } from './protocol-client.js';

/** The exit of a revoked builder. */
function revokedExit(error: BuilderRevokedError): AgentExit {
  return { code: 0, reason: `revoked: ${error.message}` };
}

function registrationError(error: unknown, servicesUrl: string): unknown {
  if (error instanceof BuilderRevokedError) return error;
  if (error instanceof CredentialRefusedError)
    return new GyreError(
      `the services box at ${servicesUrl} refused the join secret; copy GYRE_JOIN_SECRET from the services box's .env (or rotate it and use the new one)`,
      ExitCode.invalidInput,
    );
  // At registration a 409 means the name is taken by another builder.
  if (error instanceof StaleLeaseError)
    return new GyreError(
      `the services box at ${servicesUrl} refused to register: ${error.message}`,
      ExitCode.invalidInput,
    );
  return error;
}
