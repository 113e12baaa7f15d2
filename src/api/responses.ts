/**
 * The public HTTP API's answers, as schemas. The services box serialises every documented answer
 * through them (an answer that does not match is a bug, a 500, never a silent change of the
 * contract), the OpenAPI document shows them, and the client (src/client) parses with them.
 * Objects keep fields they do not name, so the server may add fields without breaking clients.
 */
import { z } from 'zod';
import { builderFactsSchema, builderStateSchema, JOB_STATES, JOB_TYPES } from '../protocol/index.js';

const timestamp = z.string().describe('ISO 8601 time');

/** Every error answer: `{ error: { code, message, details? } }`. */
export const errorResponse = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.looseObject({ input: z.string(), message: z.string() })).optional(),
  }),
});
export type ErrorResponse = z.infer<typeof errorResponse>;

/** A page of a list: `nextCursor` is the id to pass on, `null` on the last page. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.number().int().nullable() });
}

/** A list that is not paged. */
export function itemsOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item) });
}

// --- Projects ----------------------------------------------------------------------------------

export const projectResponse = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  gitUrl: z.string(),
  defaultBranch: z.string(),
  visibility: z.enum(['private', 'internal']),
  buildForkPullRequests: z.boolean(),
  passSecretsToForks: z.boolean(),
  autoCancelRedundant: z.boolean(),
  dockerInBuilds: z
    .boolean()
    .describe('Whether its jobs may use setup_remote_docker and the machine executor: granted by an administrator'),
  repository: z.string().nullable().describe('The linked GitHub repository (owner/name); null when unlinked'),
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type ProjectResponse = z.infer<typeof projectResponse>;

/** A project with the URL GitHub posts its webhooks to. */
export const projectWithWebhookResponse = projectResponse.extend({ webhookUrl: z.string() });

/** A new project: the webhook secret is in this answer only. */
export const createdProjectResponse = projectWithWebhookResponse.extend({ webhookSecret: z.string() });
export type CreatedProjectResponse = z.infer<typeof createdProjectResponse>;

/** A member of a project and their role. */
export const memberResponse = z.looseObject({
  userId: z.number().int(),
  login: z.string(),
  role: z.enum(['viewer', 'member', 'maintainer']),
  addedAt: timestamp,
});
export type MemberResponse = z.infer<typeof memberResponse>;

export const variableResponse = z.looseObject({
  name: z.string(),
  last4: z.string().describe('The last 4 characters of the value; empty for values shorter than 8'),
  updatedAt: timestamp,
});

/** A project's repository credential as it may be shown: never the token or the private key. */
export const gitCredentialResponse = z.looseObject({
  kind: z.enum(['token', 'deploy-key']),
  username: z.string().optional().describe("The token's user name"),
  last4: z.string().optional().describe("The token's last 4 characters; empty for tokens shorter than 8"),
  publicKey: z
    .string()
    .optional()
    .describe("The deploy key's public half: add it to the repository as a read-only deploy key"),
  fingerprint: z.string().optional().describe("The deploy key's SHA256 fingerprint"),
  updatedAt: timestamp,
});
export type GitCredentialResponse = z.infer<typeof gitCredentialResponse>;

/** A project SSH key as anyone may see it: never the private half. */
export const sshKeyResponse = z.looseObject({
  md5: z.string().describe('MD5 fingerprint, `ab:cd:…`: the job has the key as `~/.ssh/id_rsa_<these hex digits>`'),
  sha256: z.string().describe('SHA256 fingerprint, `SHA256:…`'),
  hostname: z.string().optional().describe('The host the key is for; absent: every host'),
  publicKey: z.string().describe('The public half, to give the host the key opens'),
  addedBy: z.string(),
  addedAt: timestamp,
});
export type SshKeyResponse = z.infer<typeof sshKeyResponse>;

// --- Pipelines, workflows, jobs ----------------------------------------------------------------

export const pipelineStateSchema = z.enum(['pending', 'created', 'error', 'skipped']);

/** One problem (or warning) of a config, at its line and column: in the config, or in the imported orb `orb` names. */
const configProblemResponse = z.looseObject({
  line: z.number().int(),
  column: z.number().int(),
  path: z.string(),
  message: z.string(),
  orb: z.string().optional().describe('Set when line and column are in this imported orb, not the config'),
});

export const pipelineResponse = z.looseObject({
  id: z.number().int(),
  projectId: z.number().int(),
  number: z.number().int(),
  trigger: z.enum(['push', 'pull_request', 'api', 'schedule']),
  ref: z.string(),
  branch: z.string().nullable(),
  tag: z.string().nullable(),
  sha: z.string(),
  state: pipelineStateSchema,
  error: z
    .looseObject({
      kind: z.enum(['config', 'fetch', 'internal']),
      message: z.string(),
      errors: z.array(configProblemResponse).optional(),
    })
    .nullable()
    .describe('Why the pipeline is in state `error`; config errors list each problem with its line and column'),
  configWarnings: z
    .array(configProblemResponse)
    .describe('What the config says that Gyre ignores, as CircleCI does (the pipeline runs regardless)'),
  detail: z.record(z.string(), z.unknown()),
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type PipelineResponse = z.infer<typeof pipelineResponse>;

export const jobStateSchema = z.enum(JOB_STATES);

export const jobSummaryResponse = z.looseObject({
  id: z.number().int(),
  workflowId: z.number().int(),
  name: z.string(),
  // The defaults are what services older than these fields mean, for clients reading those.
  type: z
    .enum(JOB_TYPES)
    .default('build')
    .describe('`approval`: a `type: approval` job, which a member approves or cancels'),
  nodeIndex: z.number().int().default(0).describe("Which of the job's `parallelism` nodes this is (CIRCLE_NODE_INDEX)"),
  nodeTotal: z.number().int().default(1).describe("The job's `parallelism`: a row like this one per node"),
  requires: z.array(z.string()),
  state: jobStateSchema,
  attempt: z.number().int(),
});
export type JobSummaryResponse = z.infer<typeof jobSummaryResponse>;

export const workflowResponse = z.looseObject({
  id: z.number().int(),
  pipelineId: z.number().int(),
  name: z.string(),
  state: z.string(),
  jobs: z.array(jobSummaryResponse),
});
export type WorkflowResponse = z.infer<typeof workflowResponse>;

export const stepDetailResponse = z.looseObject({
  index: z.number().int(),
  name: z.string(),
  user: z.boolean(),
  status: z.string(),
  exitCode: z.number().int().nullable(),
  startedAt: timestamp.nullable(),
  finishedAt: timestamp.nullable(),
  durationMs: z.number().nullable(),
});

export const attemptDetailResponse = z.looseObject({
  attempt: z.number().int(),
  builder: z.string().nullable(),
  outcome: z.string().nullable().describe('How the attempt ended; null while it runs'),
  message: z.string().nullable(),
  leasedAt: timestamp,
  finishedAt: timestamp.nullable(),
  steps: z.array(stepDetailResponse),
  ssh: z
    .looseObject({
      requestedBy: z.string().nullable().describe('The account that asked; null once removed'),
      command: z
        .string()
        .nullable()
        .describe(
          'What to type to connect, e.g. `ssh -p 64535 job-12@builder-1`; null until a builder with SSH takes it',
        ),
      hostKeyFingerprint: z
        .string()
        .nullable()
        .describe("The builder's host key, `SHA256:…`, to check the first connection"),
      idleUntil: timestamp.nullable().describe('After the steps: when the job ends unless someone connects'),
      until: timestamp.nullable().describe('After the steps: when the job ends even with a session open'),
      connected: z.number().int().nullable().describe('Sessions open when the builder last reported'),
    })
    .nullable()
    .describe('Set for an attempt of a rerun with SSH'),
});

export const jobDetailResponse = jobSummaryResponse.extend({
  spec: z.unknown(),
  message: z.string().nullable(),
  startedAt: timestamp.nullable(),
  finishedAt: timestamp.nullable(),
  attempts: z.array(attemptDetailResponse),
});
export type JobDetailResponse = z.infer<typeof jobDetailResponse>;

export const cancelResponse = z.object({
  canceled: z.number().int().describe('Jobs that ended as `canceled` at once'),
  signalled: z.number().int().describe('Leased or running jobs told to stop'),
});

export const rerunResponse = z.looseObject({
  workflowId: z.number().int().describe('The workflow that runs again'),
  pipelineId: z.number().int(),
  jobs: z
    .array(z.string())
    .describe('The jobs chosen to run again; the jobs after them that had not succeeded run too'),
});
export type RerunResponse = z.infer<typeof rerunResponse>;

// --- Test results ------------------------------------------------------------------------------

export const testTotalsResponse = z.looseObject({
  tests: z.number().int(),
  failures: z.number().int(),
  errors: z.number().int(),
  skipped: z.number().int(),
  timeSeconds: z.number().describe("The cases' times added up"),
});

export const testCaseResponse = z.looseObject({
  id: z.number().int().describe('Orders the cases as their reports list them; the cursor of the next page'),
  suite: z.string(),
  classname: z.string(),
  name: z.string(),
  file: z.string().nullable(),
  timeSeconds: z.number(),
  result: z.enum(['passed', 'failed', 'error', 'skipped']),
  message: z.string().nullable().describe('The failure or skip message (cut past 2,000 characters)'),
  details: z.string().nullable().describe("The failure's body, e.g. a stack trace (cut past 10,000 characters)"),
});
export type TestCaseResponse = z.infer<typeof testCaseResponse>;

/** A job's test results: those of its newest attempt that stored any, a page of cases at a time. */
export const testResultsResponse = z.looseObject({
  attempt: z
    .number()
    .int()
    .nullable()
    .describe('The attempt shown: the newest that stored test results; null: none did'),
  totals: testTotalsResponse.describe('Of every case of the reports, those not stored included'),
  casesStored: z.number().int().describe('Cases that can be listed: at most 10,000 per attempt'),
  warnings: z.array(z.string()).describe('Report files that could not be read, each with its path and why'),
  items: z.array(testCaseResponse),
  nextCursor: z.number().int().nullable(),
});
export type TestResultsResponse = z.infer<typeof testResultsResponse>;

// --- Webhook deliveries ------------------------------------------------------------------------

export const deliveryResponse = z.looseObject({
  id: z.number().int(),
  deliveryId: z.string(),
  event: z.string(),
  projectId: z.number().int().nullable(),
  outcome: z.enum(['received', 'ping', 'pipeline', 'skipped', 'ignored', 'invalid', 'refused']),
  outcomeDetail: z.string().nullable(),
  statusCode: z.number().int().nullable(),
  pipelineId: z.number().int().nullable(),
  receivedAt: timestamp,
});
export type DeliveryResponse = z.infer<typeof deliveryResponse>;

// --- Fleet -------------------------------------------------------------------------------------

export const builderResponse = builderFactsSchema
  .extend({
    id: z.number().int(),
    runningJobs: z.number().int().describe('Jobs leased to or running on it'),
    room: z
      .object({
        cpus: z
          .number()
          .nullable()
          .describe('CPUs for jobs, all slots together; null where the builder does not limit CPUs'),
        memoryBytes: z.number().int().describe('Memory for jobs, all slots together'),
        usedCpus: z.number().describe("What its leased and running jobs' resource classes take"),
        usedMemoryBytes: z.number().int(),
        freeCpus: z.number().nullable().describe('Null where the builder does not limit CPUs'),
        freeMemoryBytes: z.number().int(),
      })
      .describe('Room for jobs: the scheduler places a job where its resource class fits what is free'),
    state: builderStateSchema,
    drainDeadline: timestamp.nullable(),
    registeredAt: timestamp,
    lastSeenAt: timestamp,
  })
  .loose();
export type BuilderResponse = z.infer<typeof builderResponse>;

export const revokedBuilderResponse = builderResponse.extend({ requeued: z.number().int() });

export const queueResponse = z.object({
  depth: z.number().int(),
  oldestQueuedAt: timestamp.nullable(),
  items: z.array(
    z.looseObject({ jobId: z.number().int(), name: z.string(), queuedAt: timestamp, waitingBecause: z.string() }),
  ),
});
export type QueueResponse = z.infer<typeof queueResponse>;

export const joinSecretResponse = z.object({ joinSecret: z.string().describe('Shown this once') });

// --- Accounts ----------------------------------------------------------------------------------

export const accountResponse = z.looseObject({
  id: z.number().int(),
  login: z.string(),
  isAdmin: z.boolean(),
  githubId: z.number().int().nullable(),
  hasPassword: z.boolean(),
  createdAt: timestamp,
});

export const userResponse = z.looseObject({
  id: z.number().int(),
  login: z.string(),
  isAdmin: z.boolean(),
  githubId: z.number().int().nullable(),
});

export const signupSettingResponse = z.object({ signup: z.enum(['open', 'closed']) });

// --- Health ------------------------------------------------------------------------------------

export const healthResponse = z.looseObject({
  status: z.enum(['ok', 'unavailable']),
  version: z.string(),
  database: z.looseObject({ state: z.enum(['up', 'down']) }),
});
export type HealthResponse = z.infer<typeof healthResponse>;

// --- Schedules ----------------------------------------------------------------------------------

export const scheduleResponse = z.looseObject({
  id: z.number().int(),
  projectId: z.number().int(),
  name: z.string(),
  cron: z.string(),
  branch: z.string(),
  parameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  lastSlot: z.string().nullable().describe('The last cron slot fired (UTC); null before the first'),
  workflow: z
    .string()
    .nullable()
    .describe("For a config's legacy `triggers:` schedule, the workflow it runs; null for a project schedule"),
});

// --- Contexts and account groups ----------------------------------------------------------------

export const contextResponse = z.looseObject({
  name: z.string(),
  groups: z.array(z.string()).nullable().describe('The groups whose members may use it; null: every account'),
  projects: z
    .array(z.looseObject({ id: z.number().int(), name: z.string() }))
    .nullable()
    .describe('The projects that may use it; null: every project'),
  variables: z.array(variableResponse).describe('Names and the last 4 characters of values; values are never shown'),
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type ContextResponse = z.infer<typeof contextResponse>;

export const groupResponse = z.looseObject({
  name: z.string(),
  members: z.array(z.string()).describe('Member logins'),
  createdAt: timestamp,
});

// --- Artifacts ---------------------------------------------------------------------------------

export const artifactResponse = z.looseObject({
  path: z.string().describe('Where the job stored it: its `store_artifacts` destination and the file below it'),
  size: z.number().int().describe('In bytes'),
  contentType: z.string(),
  url: z.string().describe('Download (a token may fetch it; `Range: bytes=a-b` for a part); always an attachment'),
});
export type ArtifactResponse = z.infer<typeof artifactResponse>;

/** A job's artifacts: those of its newest attempt that stored any. */
export const artifactListResponse = z.looseObject({
  attempt: z.number().int().nullable().describe('The attempt listed; null: no attempt stored artifacts'),
  items: z.array(artifactResponse),
});
export type ArtifactListResponse = z.infer<typeof artifactListResponse>;

// --- Orb store ---------------------------------------------------------------------------------

export const orbResponse = z.looseObject({
  namespace: z.string(),
  name: z.string(),
  version: z.string(),
  ref: z.string().describe('`namespace/name@version`, as a config names it'),
  sha256: z.string().describe('SHA-256 of the packed YAML, hex'),
  importedBy: z.string(),
  importedAt: timestamp,
});
export type OrbResponse = z.infer<typeof orbResponse>;
export const orbDetailResponse = orbResponse.extend({ yaml: z.string().describe('The packed YAML configs expand') });
export type OrbDetailResponse = z.infer<typeof orbDetailResponse>;

// --- Backups -----------------------------------------------------------------------------------

export const backupRunResponse = z.looseObject({
  id: z.number().int(),
  slot: timestamp.describe('The cron slot it backs up'),
  name: z.string().describe("The backup's folder in its destination"),
  destination: z.string(),
  state: z.enum(['running', 'succeeded', 'failed', 'removed']).describe('removed: past GYRE_BACKUP_KEEP'),
  startedAt: timestamp,
  finishedAt: timestamp.nullable(),
  gyre: z.string().nullable(),
  schema: z.number().int().nullable(),
  databaseBytes: z.number().int().nullable(),
  blobs: z.number().int().nullable(),
  blobsAdded: z.number().int().nullable(),
  blobBytesAdded: z.number().int().nullable(),
  verification: z.enum(['passed', 'failed']).nullable().describe('What reading it back found'),
  verificationDetail: z.string().nullable(),
  error: z.string().nullable(),
});
export type BackupRunResponse = z.infer<typeof backupRunResponse>;

export const backupsResponse = z.object({
  schedule: z.string().nullable().describe('GYRE_BACKUP_SCHEDULE, or null when scheduled backups are off'),
  keep: z.number().int(),
  destination: z.string(),
  items: z.array(backupRunResponse).describe('The newest runs first'),
});
export type BackupsResponse = z.infer<typeof backupsResponse>;

// --- Health of what the services box depends on (for `gyre doctor`) ------------------------------

export const joinSecretAgeResponse = z.object({
  createdAt: timestamp.describe('When the current join secret was set (the first start, or the last rotation)'),
  previousValidUntil: timestamp.nullable().describe('Until when the secret it replaced still works, if it does'),
});
export type JoinSecretAgeResponse = z.infer<typeof joinSecretAgeResponse>;

export const gitHubCheckResponse = z.object({
  configured: z.boolean().describe('Whether the admin console has GitHub settings'),
  apiUrl: z.string().nullable(),
  reachable: z.boolean().nullable().describe("Whether GitHub's API answered its root endpoint"),
  problem: z.string().nullable().describe("What is wrong, in GitHub's words where it gave any"),
  statusToken: z
    .object({
      valid: z.boolean(),
      login: z.string().nullable(),
      scopes: z.array(z.string()).nullable().describe("A classic token's scopes (X-OAuth-Scopes); null for others"),
      lacking: z.array(z.string()).describe('Scopes posting commit statuses needs that it lacks'),
    })
    .nullable()
    .describe('The commit status token, when one is set'),
});
export type GitHubCheckResponse = z.infer<typeof gitHubCheckResponse>;

// --- SSH keys of accounts -----------------------------------------------------------------------

export const userSshKeyResponse = z.looseObject({
  id: z.number().int(),
  title: z.string(),
  publicKey: z.string().describe('`ssh-ed25519 AAAA…`, without its comment'),
  fingerprint: z.string().describe('SHA256, as `ssh-keygen -l` prints it'),
  fingerprintMd5: z.string(),
  createdAt: timestamp,
  lastUsedAt: timestamp.nullable(),
});
