/**
 * The builder protocol over HTTP (see src/protocol/contract.ts for the contract): registration
 * with the join secret, then leasing, acks, heartbeats, step reports and completion, each
 * authenticated with the builder's own credential and fenced by its lease.
 */
import { checkContexts } from '../contexts/check-contexts.js';
import type { ContextStore } from '../../stores/contexts/context-store.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  BUILDER_API_PREFIX,
  MAX_LEASE_WAIT_S,
  type CompleteRequest,
  type DrainRequest,
  type JobLease,
  type JobSpec,
  type LogChunkRequest,
  type LeaseResponse,
  type LeaseToken,
  type RegisterRequest,
  type RegisterResponse,
  type SshReport,
  type StepReport,
} from '../../../protocol/index.js';
import type { Database } from '../../database/create-pool.js';
import { AuthError } from '../../http/error-shape.js';
import { clientGoneSignal } from '../../http/client-gone.js';
import { ROUTINE } from '../../http/request-log.js';
import type { ClaimedLease, JobStore } from '../../stores/jobs/job-store.js';
import type { LogStore } from '../../stores/logs/log-store.js';
import { builderOf, registerBuilderAuth } from './builder-auth.js';
import type { TransferDeps } from './transfers/transfer-deps.js';
import { registerTransferRoutes } from './transfers/transfer-routes.js';
import { statusOf, type BuilderStore } from '../../stores/builders/builder-store.js';
import type { JoinSecrets } from '../../stores/builders/join-secrets.js';
import type { ChangeSignal } from '../../database/notifications.js';
import type { ProjectStore } from '../../stores/projects/project-store.js';
import type { GitCredentialStore } from '../../stores/projects/git-credentials.js';
import type { SshKeyStore, WantedSshKeys } from '../../stores/projects/ssh-keys.js';
import type { SshReruns } from '../ssh/ssh-reruns.js';
import {
  completeRequestSchema as completeSchema,
  drainRequestSchema as drainSchema,
  jobParamsSchema as jobParams,
  leaseRequestSchema as leaseSchema,
  logChunkRequestSchema as logChunkSchema,
  registerRequestSchema as registerSchema,
  stepReportSchema as stepSchema,
  sshReportSchema,
  leaseTokenSchema as tokenSchema,
  type LeaseRequest,
} from '../../../protocol/index.js';
import { BUILDER_ROUTE } from '../../http/access-policy.js';

export interface ProtocolDeps extends TransferDeps {
  readonly db: Database;
  readonly projects: ProjectStore;
  readonly contexts: Pick<ContextStore, 'facts' | 'values'>;
  /** The repository credential each lease carries for its checkout. */
  readonly credentials: Pick<GitCredentialStore, 'credentialOf'>;
  /** The SSH keys a lease carries for the job's `add_ssh_keys` steps. */
  readonly sshKeys: Pick<SshKeyStore, 'keysFor'>;
  /** What a rerun with SSH's lease and heartbeats carry, and where its reports go. */
  readonly sshReruns: Pick<SshReruns, 'leaseSsh' | 'keysForAttempt' | 'record'>;
  /** Base URL of the web UI, for each job's CIRCLE_BUILD_URL. */
  readonly publicUrl: string;
  readonly builders: BuilderStore;
  readonly joinSecrets: JoinSecrets;
  readonly jobs: JobStore;
  readonly logs: LogStore;
  /** Wakes lease long-polls when jobs are queued or a builder's state changes. */
  readonly leaseWakeups: Pick<ChangeSignal, 'wait' | 'mark' | 'listening' | 'isStopped'>;
}

/**
 * How often a lease long-poll looks for jobs while notifications do not arrive (the listening
 * connection is down). While they arrive it looks only when woken: queued jobs and a change of
 * its builder's state are both notified, so an idle builder costs one request per wait.
 */
const POLL_INTERVAL_MS = 500;

export function registerProtocolRoutes(app: FastifyInstance, deps: ProtocolDeps): void {
  // Before the body is read: a stranger cannot make the app parse a large body.
  const joinSecretFirst = async (request: FastifyRequest) =>
    checkJoinSecret(request.headers.authorization, deps.joinSecrets);
  void app.register(
    (scope, _options, done) => {
      scope.post<{ Body: RegisterRequest }>(
        '/register',
        {
          config: BUILDER_ROUTE,
          onRequest: joinSecretFirst,
          schema: {
            tags: ['builder protocol'],
            summary: 'Join with the join secret',
            body: registerSchema,
            security: [],
          },
        },
        async (request, reply) => {
          const { builder, credential } = await deps.builders.register(request.body.facts, request.body.identity);
          // A builder that registers again with its identity has restarted: whatever it ran is gone.
          if (credential === undefined)
            await deps.jobs.requeue(
              { kind: 'of-builder', builderId: builder.id },
              `builder ${builder.name} restarted while the job ran`,
              true,
            );
          const answer: RegisterResponse = {
            builderId: builder.id,
            state: builder.state,
            ...(credential !== undefined && { credential }),
          };
          return reply.code(credential ? 201 : 200).send(answer);
        },
      );
      // Lets `gyre builder join` refuse a wrong secret before it starts anything on a host.
      scope.post(
        '/join-secret/check',
        {
          config: BUILDER_ROUTE,
          onRequest: joinSecretFirst,
          schema: { tags: ['builder protocol'], summary: 'Check a join secret without registering', security: [] },
        },
        async (_request, reply) => reply.code(204).send(),
      );
      void scope.register((authed, _o, next) => {
        registerBuilderAuth(authed, deps.builders);
        registerAuthedRoutes(authed, deps);
        registerTransferRoutes(authed, deps);
        next();
      });
      done();
    },
    { prefix: BUILDER_API_PREFIX },
  );
}

function registerAuthedRoutes(app: FastifyInstance, deps: ProtocolDeps): void {
  app.post<{ Body: LeaseRequest }>(
    '/lease',
    {
      config: { ...BUILDER_ROUTE, ...ROUTINE },
      schema: { tags: ['builder protocol'], summary: 'Long-poll for jobs', body: leaseSchema },
    },
    async (request, reply): Promise<LeaseResponse> => {
      const builder = builderOf(request);
      const deadline = Date.now() + Math.min(request.body.waitSeconds, MAX_LEASE_WAIT_S) * 1000;
      // A client that hung up must not be leased jobs it will never acknowledge.
      const gone = clientGoneSignal(reply.raw);
      for (;;) {
        const mark = deps.leaseWakeups.mark;
        const leases = gone.aborted ? [] : await deps.jobs.lease(builder.id, request.body.max, request.body.running);
        const current = await deps.builders.get(builder.id);
        const done =
          leases.length > 0 ||
          current.state !== 'active' ||
          Date.now() >= deadline ||
          gone.aborted ||
          deps.leaseWakeups.isStopped;
        if (done)
          return {
            leases: await leasesFor(leases, builder.id, deps),
            builder: statusOf(current),
          };
        const left = deadline - Date.now();
        await deps.leaseWakeups.wait(deps.leaseWakeups.listening ? left : Math.min(left, POLL_INTERVAL_MS), mark, gone);
      }
    },
  );

  app.post(
    '/heartbeat',
    {
      config: { ...BUILDER_ROUTE, ...ROUTINE },
      schema: {
        tags: ['builder protocol'],
        summary: 'Keep an idle builder active; a draining builder without jobs becomes drained',
      },
    },
    async (request) => {
      const builder = builderOf(request);
      if (builder.state !== 'draining') return { builder: statusOf(builder) };
      await deps.builders.settleDrains(builder.id);
      return { builder: statusOf(await deps.builders.get(builder.id)) };
    },
  );

  app.post<{ Body: DrainRequest }>(
    '/drain',
    {
      config: BUILDER_ROUTE,
      schema: {
        tags: ['builder protocol'],
        summary: 'Drain this builder (SIGTERM or `gyre agent drain` on the box)',
        body: drainSchema,
      },
    },
    async (request) => {
      const builder = builderOf(request);
      return {
        builder: statusOf(
          await deps.builders.drain(builder.id, request.body.deadlineSeconds * 1000, `builder:${builder.name}`),
        ),
      };
    },
  );

  app.post<{ Params: { id: number }; Body: LeaseToken }>(
    '/jobs/:id/ack',
    {
      config: BUILDER_ROUTE,
      schema: {
        tags: ['builder protocol'],
        summary: 'Acknowledge a lease: the job is running',
        params: jobParams,
        body: tokenSchema,
      },
    },
    async (request, reply) => {
      await deps.jobs.ack(builderOf(request).id, request.params.id, request.body);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: { id: number }; Body: LeaseToken }>(
    '/jobs/:id/heartbeat',
    {
      config: { ...BUILDER_ROUTE, ...ROUTINE },
      schema: {
        tags: ['builder protocol'],
        summary: 'Renew a lease; learn whether to cancel',
        params: jobParams,
        body: tokenSchema,
      },
    },
    async (request) => {
      const builder = builderOf(request);
      const renewed = await deps.jobs.heartbeat(builder.id, request.params.id, request.body);
      const sshKeys = await deps.sshReruns.keysForAttempt(request.params.id, request.body.attempt);
      return { ...renewed, builder: statusOf(builder), ...(sshKeys && { sshKeys: [...sshKeys] }) };
    },
  );

  app.post<{ Params: { id: number }; Body: StepReport }>(
    '/jobs/:id/steps',
    {
      config: { ...BUILDER_ROUTE, ...ROUTINE },
      schema: {
        tags: ['builder protocol'],
        summary: "Report a step's start or end",
        params: jobParams,
        body: stepSchema,
      },
    },
    async (request, reply) => {
      await deps.jobs.reportStep(builderOf(request).id, request.params.id, request.body);
      return reply.code(204).send();
    },
  );

  app.put<{ Params: { id: number }; Body: LogChunkRequest }>(
    '/jobs/:id/logs',
    {
      config: { ...BUILDER_ROUTE, ...ROUTINE },
      schema: {
        tags: ['builder protocol'],
        summary: 'Send one log chunk (idempotent)',
        params: jobParams,
        body: logChunkSchema,
      },
    },
    async (request, reply) => {
      const { attempt, leaseId, step, seq, data } = request.body;
      await deps.jobs.checkLease(builderOf(request).id, request.params.id, { attempt, leaseId });
      await deps.logs.append({ jobId: request.params.id, attempt, step, seq, data: Buffer.from(data, 'base64') });
      return reply.code(204).send();
    },
  );

  app.post<{ Params: { id: number }; Body: SshReport }>(
    '/jobs/:id/ssh',
    {
      config: BUILDER_ROUTE,
      schema: {
        tags: ['builder protocol'],
        summary: "Report a rerun with SSH's session start or end (audited), or its wait for sessions after the steps",
        params: jobParams,
        body: sshReportSchema,
      },
    },
    async (request, reply) => {
      await deps.sshReruns.record(builderOf(request), request.params.id, request.body);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: { id: number }; Body: CompleteRequest }>(
    '/jobs/:id/complete',
    {
      config: BUILDER_ROUTE,
      schema: {
        tags: ['builder protocol'],
        summary: 'End the attempt with its outcome',
        params: jobParams,
        body: completeSchema,
      },
    },
    async (request, reply) => {
      await deps.jobs.complete(builderOf(request).id, request.params.id, request.body);
      return reply.code(204).send();
    },
  );
}

/** The leases as the agent needs them, without those refused for their contexts. */
async function leasesFor(leases: readonly ClaimedLease[], builderId: number, deps: ProtocolDeps): Promise<JobLease[]> {
  const ready = await Promise.all(leases.map((lease) => withVariables(lease, builderId, deps)));
  return ready.filter((lease) => lease !== undefined);
}

/**
 * The lease as the agent needs it: with the project's variables and those of the contexts it
 * names (unless it builds a fork's pull request in a project that does not pass secrets to
 * forks), and with the job's page. A job that may no longer use a context it names ends
 * `unauthorized` here, and its lease is not handed out.
 */
async function withVariables(
  lease: ClaimedLease,
  builderId: number,
  deps: ProtocolDeps,
): Promise<JobLease | undefined> {
  const { withholdSecrets, contexts, actor, sshRerun, ...claimed } = lease;
  const { projectId, projectName } = lease.context;
  const refusal = await checkContexts(deps.contexts, contexts, {
    projectId,
    projectName,
    actor,
    secretsWithheld: withholdSecrets,
  });
  if (refusal !== undefined) {
    await deps.jobs.refuseLease(builderId, lease.jobId, lease, refusal);
    return undefined;
  }
  const variables = withholdSecrets
    ? {}
    : { ...(await deps.projects.variableValues(projectId)), ...(await deps.contexts.values(contexts)) };
  const gitCredential = await deps.credentials.credentialOf(projectId);
  const wantedKeys = withholdSecrets ? undefined : sshKeysWanted(lease.spec);
  const sshKeys = wantedKeys === undefined ? [] : await deps.sshKeys.keysFor(projectId, wantedKeys);
  // Only nodes of a job with `parallelism` have tests to split between them.
  const testTimings = (lease.context.nodeTotal ?? 1) > 1 ? await deps.testResults.timingsFor(lease.jobId) : [];
  return {
    ...claimed,
    context: { ...lease.context, buildUrl: `${deps.publicUrl}/jobs/${lease.jobId}` },
    variables,
    ...(gitCredential && { gitCredential }),
    ...(sshKeys.length > 0 && { sshKeys }),
    ...(withholdSecrets && { secretsWithheld: true as const }),
    ...(deps.blobs.takesDirectUploads && { directUploads: true }),
    ...(testTimings.length > 0 && { testTimings: [...testTimings] }),
    ...(sshRerun && { ssh: await deps.sshReruns.leaseSsh(lease.jobId, sshRerun.requestedBy) }),
  };
}

/** The keys the job's `add_ssh_keys` steps name: every key if one names none; undefined without such a step. */
function sshKeysWanted(spec: JobSpec): WantedSshKeys | undefined {
  const steps = spec.steps.filter((step) => step.type === 'add_ssh_keys');
  if (steps.length === 0) return undefined;
  return steps.some((step) => step.fingerprints.length === 0) ? 'all' : steps.flatMap((step) => step.fingerprints);
}

async function checkJoinSecret(authorization: string | undefined, joinSecrets: JoinSecrets): Promise<void> {
  const secret = /^Join (\S+)$/.exec(authorization ?? '')?.[1];
  if (!secret || !(await joinSecrets.isValid(secret)))
    throw new AuthError(401, 'the join secret is missing or wrong; copy GYRE_JOIN_SECRET from the services box');
}
