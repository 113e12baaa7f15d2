/**
 * Every message of the builder protocol, as schemas (see contract.ts for the behaviour). The types
 * derive from them; the services box validates requests with them (unknown fields refused) and the
 * agent validates replies with them (unknown fields ignored, so a newer services box can add some).
 */
import { z } from 'zod';
import { BUILDER_NAME_PATTERN } from './builder-name.js';
import { jobSpecSchema } from './job-spec.js';
import { JOB_OUTCOMES } from './job-states.js';
import { MD5_FINGERPRINT, SSH_HOSTNAME } from '../shared/ssh-keys.js';

/** The longest a lease long-poll waits for work, in seconds. */
export const MAX_LEASE_WAIT_S = 30;

const id = z.number().int().positive();

/** `active → draining(deadline) → drained`, plus `lost` (silent) and `revoked`. */
export const builderStateSchema = z.enum(['active', 'draining', 'drained', 'lost', 'revoked']);
export type BuilderState = z.infer<typeof builderStateSchema>;

/** What Docker a builder's jobs may have: none, an engine of each job's own, or that and the machine executor. */
export const dockerInBuildsSchema = z.enum(['off', 'remote', 'machine']);
export type DockerInBuilds = z.infer<typeof dockerInBuildsSchema>;
/** Each offer as a level: a builder runs the jobs whose level (jobs.docker_level) is at most its own. */
export const DOCKER_LEVELS: Readonly<Record<DockerInBuilds, number>> = { off: 0, remote: 1, machine: 2 };

/** SSH's `SHA256:…` fingerprint of a key (base64 without padding). */
const SHA256_FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** Where users reach a builder's SSH gateway for SSH into builds; absent when GYRE_SSH_PORTS is off. */
export const builderSshSchema = z.strictObject({
  /** The address job pages show (GYRE_SSH_HOST, else the Docker host's name). */
  host: z.string().min(1).max(255),
  port: z.number().int().min(1).max(65535),
  /** The fingerprint of the builder's Ed25519 host key, so that a first connection can be checked. */
  hostKeyFingerprint: z.string().regex(SHA256_FINGERPRINT),
});
export type BuilderSsh = z.infer<typeof builderSshSchema>;

/** What a builder reports about itself when it registers. */
export const builderFactsSchema = z.strictObject({
  name: z.string().regex(BUILDER_NAME_PATTERN),
  host: z.string().min(1).max(255),
  cpus: z.number().nonnegative(),
  memoryBytes: z.number().nonnegative(),
  dockerVersion: z.string().max(100),
  version: z.string().max(100),
  slots: id,
  /** CPUs per slot; 0 means no CPU limit. */
  slotCpus: z.number().nonnegative(),
  slotMemoryBytes: id,
  /**
   * What Docker its jobs may have (GYRE_DOCKER_IN_BUILDS); absent means off. Sent only when on,
   * so an agent that offers none still registers with a services box older than this field.
   */
  dockerInBuilds: dockerInBuildsSchema.optional(),
  /** Its SSH gateway; sent only when on, as `dockerInBuilds` is, and SSH reruns are leased only to builders with one. */
  ssh: builderSshSchema.optional(),
});
export type BuilderFacts = z.infer<typeof builderFactsSchema>;

export const registerRequestSchema = z.strictObject({
  facts: builderFactsSchema,
  /** The identity a previous registration returned, to keep the same builder after a restart. */
  identity: z.strictObject({ builderId: id, credential: z.string().max(200) }).optional(),
});
export type RegisterRequest = z.infer<typeof registerRequestSchema>;

export const registerResponseSchema = z.object({
  builderId: id,
  /** Present only when a new credential was issued; keep it, it is not shown again. */
  credential: z.string().optional(),
  state: builderStateSchema,
});
export type RegisterResponse = z.infer<typeof registerResponseSchema>;

/** The builder's standing, returned by every lease and heartbeat. */
export const builderStatusSchema = z.object({
  state: builderStateSchema,
  /** ISO time at which remaining jobs are stopped and requeued; set while draining. */
  drainDeadline: z.string().nullable(),
});
export type BuilderStatus = z.infer<typeof builderStatusSchema>;

/** The answer of `/heartbeat` and `/drain`. */
export const builderStatusResponseSchema = z.object({ builder: builderStatusSchema });

/** A builder asking to be drained (`POST /drain`). */
export const drainRequestSchema = z.strictObject({
  /** Seconds until remaining jobs are stopped and requeued. */
  deadlineSeconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 86_400),
});
export type DrainRequest = z.infer<typeof drainRequestSchema>;

export const leaseRequestSchema = z.strictObject({
  /** The most jobs one answer may bring; the services box leases only what fits the builder's free room. */
  max: z.number().int().min(0).max(64),
  /** Seconds to wait for work; at most {@link MAX_LEASE_WAIT_S}. */
  waitSeconds: z.number().min(0).max(MAX_LEASE_WAIT_S),
  /**
   * The jobs the agent runs now. They count against its room even where their leases expired
   * while it was cut off (and they were requeued): it runs them until it hears so.
   */
  running: z.array(id).max(10_000).optional(),
});
export type LeaseRequest = z.infer<typeof leaseRequestSchema>;

/** The fencing token every job write carries. */
const leaseTokenShape = { attempt: id, leaseId: z.uuid() };
export const leaseTokenSchema = z.strictObject(leaseTokenShape);
export type LeaseToken = z.infer<typeof leaseTokenSchema>;

/** The token of a lease: only its attempt and id, as the strict schema above accepts. */
export function leaseTokenOf(lease: LeaseToken): LeaseToken {
  return { attempt: lease.attempt, leaseId: lease.leaseId };
}

/** Facts about the job's pipeline that the agent turns into CIRCLE_* and GYRE_* variables. */
export const jobContextSchema = z.object({
  projectId: id,
  projectName: z.string(),
  gitUrl: z.string(),
  sha: z.string(),
  branch: z.string().nullable(),
  tag: z.string().nullable(),
  pipelineNumber: id,
  workflowName: z.string(),
  jobName: z.string(),
  /** The job's page in the web UI (CIRCLE_BUILD_URL). */
  buildUrl: z.string(),
  /** CIRCLE_PIPELINE_ID and CIRCLE_WORKFLOW_ID. Optional, as from services older than the builder. */
  pipelineId: id.optional(),
  workflowId: id.optional(),
  /** CIRCLE_PREVIOUS_BUILD_NUM: the project's latest earlier job on the same branch; absent for the first. */
  previousJobId: id.optional(),
  /** CIRCLE_NODE_INDEX and CIRCLE_NODE_TOTAL of a job with `parallelism`; absent: node 0 of 1. */
  nodeIndex: z.number().int().nonnegative().optional(),
  nodeTotal: z.number().int().positive().optional(),
  /** CIRCLE_COMPARE_URL: GitHub's comparison of the push's commits; pushes only. */
  compareUrl: z.string().optional(),
  /** CIRCLE_USERNAME: who started the pipeline (the GitHub login of a push or pull request, the account of a trigger). */
  username: z.string().optional(),
  /** Set when a pull request started the pipeline (CIRCLE_PULL_REQUEST, and CIRCLE_PR_* for forks). */
  pullRequest: z
    .object({
      number: id,
      url: z.string(),
      fromFork: z.boolean(),
      /** Who opened or updated it. */
      username: z.string(),
      /** The repository the head branch lives in (the fork's name for a fork); absent when it was deleted. */
      headRepository: z.string().optional(),
    })
    .optional(),
});
export type JobContext = z.infer<typeof jobContextSchema>;

/**
 * The project's credential for its private repository, for the job's checkout only: the agent
 * never puts it in a step's environment and masks it in the job's output.
 */
export const gitCredentialSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('token'), username: z.string(), token: z.string() }),
  z.object({ kind: z.literal('deploy-key'), privateKey: z.string() }),
]);

/** A project SSH key for `add_ssh_keys`, decrypted for this job only; never logged. */
export const leasedSshKeySchema = z.object({
  /** MD5 fingerprint, `ab:cd:…`: names the key's file (`~/.ssh/id_rsa_abcd…`). */
  md5: z.string().regex(MD5_FINGERPRINT),
  sha256: z.string(),
  /** The host the key is for, written into `~/.ssh/config` as it is; absent: every host. */
  hostname: z.string().regex(SSH_HOSTNAME).optional(),
  privateKey: z.string(),
});
export type LeasedSshKey = z.infer<typeof leasedSshKeySchema>;

/** One stored timing: a test file, class or test, and the seconds its cases took together. */
export const testTimingSchema = z.object({
  kind: z.enum(['filename', 'classname', 'testname']),
  name: z.string(),
  seconds: z.number().nonnegative(),
});
export type TestTiming = z.infer<typeof testTimingSchema>;

/** A public key that may open SSH sessions into a job, and whose account it is. */
export const sshAccessKeySchema = z.object({
  /** `ssh-ed25519 AAAA…`, as the account uploaded it (or GitHub lists it). */
  publicKey: z.string().max(16_384),
  fingerprint: z.string().regex(SHA256_FINGERPRINT),
  /** The account, as the audit log names it. */
  account: z.string().max(200),
});
export type SshAccessKey = z.infer<typeof sshAccessKeySchema>;

/** A rerun with SSH: who may connect, and how long the job stays up after its steps. */
export const jobSshSchema = z.object({
  /** The keys of the account that asked and of the administrators; renewed with each job heartbeat. */
  keys: z.array(sshAccessKeySchema).max(1_000),
  /** Stay up this long after the steps while nobody is connected (GYRE_SSH_IDLE). */
  idleSeconds: z.number().int().positive(),
  /** And at most this long after the steps, connected or not (GYRE_SSH_MAX). */
  maxSeconds: z.number().int().positive(),
});
export type JobSsh = z.infer<typeof jobSshSchema>;

export const jobLeaseSchema = z.object({
  ...leaseTokenShape,
  jobId: id,
  expiresAt: z.string(),
  /** The job as the pipeline config resolved it (images, steps, environment, resources). */
  spec: jobSpecSchema,
  context: jobContextSchema,
  /** The project's variables, decrypted for this job only; never logged. */
  variables: z.record(z.string(), z.string()),
  /** Present when the project has a repository credential; decrypted for this job only, never logged. */
  gitCredential: gitCredentialSchema.optional(),
  /**
   * The project's SSH keys that the job's `add_ssh_keys` steps name (all of them for a step that
   * names none); absent when it has no such step or its secrets are withheld.
   */
  sshKeys: z.array(leasedSshKeySchema).optional(),
  /**
   * True when the job builds a fork's pull request in a project that does not pass secrets to
   * forks: its variables are empty and it gets no SSH keys, and its steps can say why.
   */
  secretsWithheld: z.literal(true).optional(),
  /**
   * True when caches and workspace layers may go straight to the blob store (`POST
   * /jobs/:id/uploads`), for which the agent spools them to learn their digest; absent, it
   * streams them to the PUT routes.
   */
  directUploads: z.literal(true).optional(),
  /**
   * For a job with `parallelism`: how long its tests took when the job last stored test results,
   * by file, class name and test name, for `circleci tests split --split-by=timings`.
   */
  testTimings: z.array(testTimingSchema).optional(),
  /** Present for a rerun with SSH, which is leased only to builders whose facts have `ssh`. */
  ssh: jobSshSchema.optional(),
});
export type JobLease = z.infer<typeof jobLeaseSchema>;

export const leaseResponseSchema = z.object({ leases: z.array(jobLeaseSchema), builder: builderStatusSchema });
export type LeaseResponse = z.infer<typeof leaseResponseSchema>;

export const jobHeartbeatResponseSchema = z.object({
  /** True when the job was canceled: stop it (SIGTERM, then SIGKILL) and complete it as `canceled`. */
  cancel: z.boolean(),
  expiresAt: z.string(),
  builder: builderStatusSchema,
  /** For a rerun with SSH: the keys allowed now (a key removed since the lease is refused from here on). */
  sshKeys: z.array(sshAccessKeySchema).max(1_000).optional(),
});
export type JobHeartbeatResponse = z.infer<typeof jobHeartbeatResponseSchema>;

export const stepReportSchema = z.strictObject({
  ...leaseTokenShape,
  index: z.number().int().min(0),
  name: z.string().max(1000),
  /** Steps Gyre runs for the job (checkout counts as a user step; helper set-up does not). */
  user: z.boolean(),
  status: z.enum(['started', 'finished']),
  /** With `finished`: the step's exit code. */
  exitCode: z.number().int().optional(),
});
export type StepReport = z.infer<typeof stepReportSchema>;

/** One sequence-numbered piece of a step's output. Resending the same chunk is harmless. */
export const logChunkRequestSchema = z.strictObject({
  ...leaseTokenShape,
  step: z.number().int().min(0),
  /** 0, 1, 2, ... per (job, attempt, step), with no gaps. */
  seq: z.number().int().min(0),
  /** The bytes, base64-encoded; at most 1 MiB before encoding. */
  data: z
    .string()
    .max(1_398_104)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/),
});
export type LogChunkRequest = z.infer<typeof logChunkRequestSchema>;

export const completeRequestSchema = z.strictObject({
  ...leaseTokenShape,
  outcome: z.enum(JOB_OUTCOMES),
  /**
   * The agent's statement that every log chunk of the attempt got a 2xx. A job is complete only
   * after it; an agent with unacknowledged chunks keeps resending them first.
   */
  logsAcknowledged: z.literal(true),
  /** A human-readable reason for anything but success, e.g. "step 3 exited with 3". */
  message: z.string().max(10_000).optional(),
});
export type CompleteRequest = z.infer<typeof completeRequestSchema>;

/**
 * What happens to a rerun with SSH (`POST /jobs/:id/ssh`): a session's or forward's start and
 * end, for the audit log; and the job held after its steps, for its page. A resent session event
 * may be recorded twice; a resent wait is the same write again.
 */
export const sshReportSchema = z.strictObject({
  ...leaseTokenShape,
  event: z.discriminatedUnion('kind', [
    z.strictObject({
      kind: z.enum(['start', 'end']),
      account: z.string().max(200),
      fingerprint: z.string().regex(SHA256_FINGERPRINT),
      /** A command, `shell`, `sftp`, or `forward to <host>:<port>`. */
      what: z.string().max(1_000),
      /** For a command's end: its exit code. */
      exitCode: z.number().int().optional(),
    }),
    z.strictObject({
      kind: z.literal('held'),
      /** When the job ends unless someone connects (its steps ended; nobody is connected). */
      idleUntil: z.iso.datetime(),
      /** When it ends even with someone connected. */
      until: z.iso.datetime(),
      /** Sessions open now. */
      connected: z.number().int().min(0),
    }),
  ]),
});
export type SshReport = z.infer<typeof sshReportSchema>;

/** The path parameter of the job routes. */
export const jobParamsSchema = z.strictObject({ id: z.coerce.number().int().positive() });

/** Every error answer, as in the rest of Gyre's API. */
export const errorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
export type ProtocolErrorBody = z.infer<typeof errorBodySchema>;
