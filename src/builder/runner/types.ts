/**
 * The runner's input and output. The input is the protocol's job spec (`JobLease.spec`).
 */
import type { JobOutcome } from '../../protocol/job-states.js';
import type { JobContext, LeasedSshKey, TestTiming } from '../../protocol/index.js';
import type { LayerCaches } from './layer-cache.js';
import type { BackgroundCleanup } from './background-cleanup.js';
import type { ImageToolsCache } from './image-tools-cache.js';
import type { JobResourcePool } from './resource-pool.js';
import type { ToolsVolume } from './tools-volume.js';
import type { JobSpec } from '../../protocol/job-spec.js';
import type { GitCredential } from '../../shared/git-credential.js';
import type { DataTransfers } from './data-steps/transfers.js';
import type { Outbound } from './outbound.js';

export type {
  AddSshKeysStep,
  AttachWorkspaceStep,
  CheckoutStep,
  DockerImage,
  JobSpec,
  PersistToWorkspaceStep,
  RestoreCacheStep,
  RunStep,
  SaveCacheStep,
  SetupRemoteDockerStep,
  Step,
  StepWhen,
  StoreArtifactsStep,
  StoreTestResultsStep,
} from '../../protocol/job-spec.js';

/** One job attempt to run. */
export interface RunnerJob {
  readonly jobId: number;
  readonly attempt: number;
  readonly spec: JobSpec;
  readonly context: JobContext;
  /** The project's variables (already decrypted); job and step environment override them. */
  readonly projectVariables: Readonly<Record<string, string>>;
  /** The repository credential, for the checkout only; never in a step's environment. */
  readonly gitCredential?: GitCredential;
  /** The project's SSH keys the job's `add_ssh_keys` steps name, decrypted. @default none */
  readonly sshKeys?: readonly LeasedSshKey[];
  /** True for a fork's pull request whose project passes no secrets to forks: `add_ssh_keys` then fails, saying why. */
  readonly secretsWithheld?: boolean;
  /** The services box's side of caches, workspaces, artifacts and test results, scoped to this lease. */
  readonly transfers?: DataTransfers;
  /** What `circleci tests split --split-by=timings` weighs test names by. @default none */
  readonly testTimings?: readonly TestTiming[];
}

/** A step's start or end. Steps are numbered from 1; index 0 is the runner's own set-up output. */
export interface StepEvent {
  readonly index: number;
  readonly name: string;
  readonly status: 'started' | 'finished';
  /** With `finished`: the step's exit code (137 after a kill). */
  readonly exitCode?: number;
}

/** Where the runner sends output and step events, in the order they happen. */
export interface RunnerSink {
  /** Output of step `stepIndex` (stdout and stderr interleaved as they arrived). */
  log(stepIndex: number, data: Buffer): void;
  /**
   * After `log`: undefined while the sink can take more; otherwise a promise of room, until which
   * a step's output is not read (its process then waits on its full pipe). Absent: always room.
   */
  room?(): Promise<void> | undefined;
  step(event: StepEvent): void;
}

/**
 * The builder's room for jobs (all its slots together; see jobRoomOf), above which no job's
 * limits go, and the pids each job may have.
 */
export interface RoomLimits {
  /** CPUs; null where the builder does not limit CPUs. */
  readonly cpus: number | null;
  readonly memoryBytes: number;
  /** @default 4096 */
  readonly pids?: number;
}

/** How to run a job. */
export interface RunJobOptions {
  /** The builder's name, put in the `io.gyre.builder` label. */
  readonly builderName: string;
  /** The builder's layer caches for `docker_layer_caching`; none: every engine starts empty. */
  readonly layerCaches?: LayerCaches;
  readonly room: RoomLimits;
  /** Aborting cancels the job: SIGTERM to the primary's processes, SIGKILL after `killGraceMs`. */
  readonly signal?: AbortSignal;
  /** @default 10000 */
  readonly killGraceMs?: number;
  /** The whole job's time limit. @default undefined: none */
  readonly jobTimeoutMs?: number;
  /**
   * The agent's own image, for helper containers: `checkout` (which fails without it) and the
   * caches (which go through the engine's archive API without it, more slowly).
   */
  readonly helperImage?: string;
  /**
   * Whether the engine nests cgroups (`EngineInfo.nestedCgroups`): then every container of a job
   * runs in the primary's cgroup, and the job's limits bound them together. @default false
   */
  readonly sharedCgroup?: boolean;
  /** The proxy and extra CA the builder uses, given to its jobs (see outbound.ts). */
  readonly outbound?: Outbound;
  /** The engine host's CPUs: no job's CPU limit goes above them (the engine refuses more). @default no cap */
  readonly hostCpus?: number;
  /** The most service containers a job may have besides its primary. @default no limit */
  readonly maxServices?: number;
  /** The most bytes each job container may write into its own file system (GYRE_JOB_DISK). @default no limit */
  readonly diskBytes?: number;
  /**
   * The image of a job's own Docker engine (`setup_remote_docker`), best by id (the agent pins it
   * at start); without it this builder offers no Docker in builds, and the job is retried
   * elsewhere. @default none
   */
  readonly engineImage?: string;
  /** The image `machine` jobs run in, best by id; without it this builder runs none, and such a job is retried elsewhere. @default none */
  readonly machineImage?: string;
  /** Names of Gyre's own images: a job that names one gets it only as built here, never pulled. @default none */
  readonly reservedImages?: readonly string[];
  /** For a rerun with SSH: where sessions land, and the wait for them after the steps. @default none */
  readonly ssh?: JobSshAccess;
  /**
   * Where the job's containers, network and volume are removed after the result is returned, so
   * the attempt completes and its slot frees without waiting for the engine. @default none: removed
   * before the result is returned, with a failure in it (`cleanupError`)
   */
  readonly backgroundCleanup?: BackgroundCleanup;
  /** What primary images offered earlier jobs, so that their next jobs skip the probe. @default none: every job probes */
  readonly imageTools?: ImageToolsCache;
  /** Networks and volumes made ahead of jobs. @default none: every job makes its own */
  readonly resourcePool?: JobResourcePool;
  /** The builder's volume with the `circleci` script. @default none: each primary gets a copy */
  readonly toolsVolume?: ToolsVolume;
}

/** Where a rerun with SSH's sessions land: the primary container, as the job's steps run in it. */
export interface SshLanding {
  readonly container: string;
  /** The job's working directory, made if it was not there. */
  readonly workdir: string;
  /** The job's variables (built-in, project, job), as its steps see them but for a step's own. */
  readonly env: readonly string[];
  /** The job's service containers by the names the job reaches them at, with their addresses. */
  readonly services: Readonly<Record<string, string>>;
}

/** The agent's side of a rerun with SSH, as the runner drives it. */
export interface JobSshAccess {
  /** The primary runs: sessions may land in it from now on. */
  open(landing: SshLanding): void;
  /**
   * The steps have ended: runs `prepare` (the landing again), then resolves once the job may end
   * (nobody connected for the idle window, or the longest wait over), or as soon as `signal`
   * aborts (the job was canceled).
   */
  hold(signal: AbortSignal | undefined, log: (line: string) => void, prepare?: () => Promise<void>): Promise<void>;
  /** The job ends: no more sessions, and those open are ended. */
  close(): void;
}

/** The step that decided a failed job. */
export interface FailedStep {
  readonly index: number;
  readonly name: string;
  readonly exitCode: number;
}

/** How a job attempt ended. */
export interface JobResult {
  readonly outcome: JobOutcome;
  /** A human-readable reason for anything but success, e.g. "step 2 `npm test` exited with 3". */
  readonly message?: string;
  readonly failedStep?: FailedStep;
  /** Set when removing the job's containers, network or volume failed (they are left for `cleanupBuilder`); never with `backgroundCleanup`. */
  readonly cleanupError?: string;
}
