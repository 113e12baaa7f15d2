/**
 * `/api/v1/builders`, the queue and the join secret: what the fleet is doing and why jobs wait
 * (any token), and the join secret's age and the drain / cancel-drain / revoke / rotate actions
 * (administrators' tokens).
 */
import {
  builderResponse,
  itemsOf,
  joinSecretAgeResponse,
  joinSecretResponse,
  queueResponse,
  revokedBuilderResponse,
} from '../../../api/responses.js';
import type { FastifyInstance } from 'fastify';
import { drainBody, idParams, rotateJoinSecretBody } from '../../../api/requests.js';
import type { JobStore } from '../../stores/jobs/job-store.js';
import type { Database } from '../../database/create-pool.js';
import type { BuilderStore } from '../../stores/builders/builder-store.js';
import type { JoinSecrets } from '../../stores/builders/join-secrets.js';
import { readQueue } from '../../stores/jobs/queue-view.js';
import { tokenActorOf } from '../../http/token-auth.js';
import { ADMIN_ONLY, signedInCaller, SIGNED_IN } from '../../http/access-policy.js';

export interface FleetDeps {
  readonly db: Database;
  readonly builders: BuilderStore;
  readonly jobs: JobStore;
  readonly joinSecrets: JoinSecrets;
}

const tags = ['fleet'];

export function registerFleetRoutes(app: FastifyInstance, deps: FleetDeps): void {
  app.get(
    '/api/v1/builders',
    {
      config: SIGNED_IN,
      schema: {
        tags,
        summary: 'Every builder with its state, jobs and free room for jobs',
        response: { 200: itemsOf(builderResponse) },
      },
    },
    async () => ({
      items: await deps.builders.list(),
    }),
  );

  app.post<{ Params: { id: number }; Body: { deadlineSeconds?: number } }>(
    '/api/v1/builders/:id/drain',
    {
      config: ADMIN_ONLY,
      schema: {
        tags,
        summary: 'Drain a builder: no new jobs; at the deadline its jobs are stopped and requeued',
        params: idParams,
        body: drainBody,
        response: { 200: builderResponse },
      },
    },
    (request) =>
      deps.builders.drain(request.params.id, (request.body?.deadlineSeconds ?? 1800) * 1000, tokenActorOf(request)),
  );

  app.delete<{ Params: { id: number } }>(
    '/api/v1/builders/:id/drain',
    {
      config: ADMIN_ONLY,
      schema: { tags, summary: 'Cancel a drain', params: idParams, response: { 200: builderResponse } },
    },
    (request) => deps.builders.cancelDrain(request.params.id, tokenActorOf(request)),
  );

  app.post<{ Params: { id: number } }>(
    '/api/v1/builders/:id/revoke',
    {
      config: ADMIN_ONLY,
      schema: {
        tags,
        summary: "Revoke a builder's credential and requeue its jobs",
        params: idParams,
        response: { 200: revokedBuilderResponse },
      },
    },
    async (request) => {
      const builder = await deps.builders.revoke(request.params.id, tokenActorOf(request));
      const requeued = await deps.jobs.requeue(
        { kind: 'of-builder', builderId: builder.id },
        `builder ${builder.name} was revoked`,
        false,
      );
      return { ...builder, requeued };
    },
  );

  app.get(
    '/api/v1/join-secret',
    {
      config: ADMIN_ONLY,
      schema: {
        tags,
        summary: 'When the current join secret was set (never the secret itself)',
        response: { 200: joinSecretAgeResponse },
      },
    },
    () => deps.joinSecrets.age(),
  );

  app.post<{ Body: { graceSeconds?: number } }>(
    '/api/v1/join-secret/rotate',
    {
      config: ADMIN_ONLY,
      schema: {
        tags,
        summary: 'Issue a new join secret (shown once); the old one works for the grace period',
        body: rotateJoinSecretBody,
        response: { 201: joinSecretResponse },
      },
    },
    async (request, reply) =>
      reply.code(201).send({
        joinSecret: await deps.joinSecrets.rotate((request.body?.graceSeconds ?? 3600) * 1000, tokenActorOf(request)),
      }),
  );

  app.get(
    '/api/v1/queue',
    {
      config: SIGNED_IN,
      schema: {
        tags,
        summary: 'Queued jobs, oldest first, each with the reason it waits',
        response: { 200: queueResponse },
      },
    },
    async (request) => readQueue(deps.db, await deps.builders.list(), signedInCaller(request)),
  );
}
