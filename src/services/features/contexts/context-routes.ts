/**
 * `/api/v1/contexts` and `/api/v1/groups`: contexts (named sets of sealed variables that jobs
 * name with `context:`), who may use them, and the account groups that restrictions name.
 * Administrators only, as in CircleCI's organisation settings; every change is audited under the
 * token's name, values never.
 */
import type { FastifyInstance } from 'fastify';
import {
  contextBody,
  contextParams,
  contextRestrictionsBody,
  contextVariableParams,
  groupBody,
  groupMemberParams,
  groupParams,
  variableBody,
  type ContextRestrictionsRequest,
} from '../../../api/requests.js';
import { contextResponse, groupResponse, itemsOf } from '../../../api/responses.js';
import { ADMIN_ONLY } from '../../http/access-policy.js';
import { tokenActorOf } from '../../http/token-auth.js';
import type { GroupStore } from '../../stores/accounts/group-store.js';
import type { ContextStore } from '../../stores/contexts/context-store.js';

export interface ContextRouteDeps {
  readonly contexts: ContextStore;
  readonly groups: GroupStore;
}

type Named = { Params: { name: string } };

export function registerContextRoutes(app: FastifyInstance, deps: ContextRouteDeps): void {
  const tags = ['contexts'];
  app.get(
    '/api/v1/contexts',
    { config: ADMIN_ONLY, schema: { tags, summary: 'Every context', response: { 200: itemsOf(contextResponse) } } },
    async () => ({ items: await deps.contexts.list() }),
  );
  app.post<{ Body: { name: string } }>(
    '/api/v1/contexts',
    {
      config: ADMIN_ONLY,
      schema: {
        tags,
        summary: 'Create a context, usable by every account and project until restricted',
        body: contextBody,
        response: { 201: contextResponse },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await deps.contexts.create(request.body.name, tokenActorOf(request))),
  );
  app.get<Named>(
    '/api/v1/contexts/:name',
    {
      config: ADMIN_ONLY,
      schema: { tags, summary: 'Get a context', params: contextParams, response: { 200: contextResponse } },
    },
    (request) => deps.contexts.get(request.params.name),
  );
  app.delete<Named>(
    '/api/v1/contexts/:name',
    { config: ADMIN_ONLY, schema: { tags, summary: 'Delete a context and its variables', params: contextParams } },
    async (request, reply) => {
      await deps.contexts.remove(request.params.name, tokenActorOf(request));
      return reply.code(204).send();
    },
  );
  app.put<{ Params: { name: string }; Body: ContextRestrictionsRequest }>(
    '/api/v1/contexts/:name/restrictions',
    {
      config: ADMIN_ONLY,
      schema: {
        tags,
        summary: 'Set which account groups and projects may use a context',
        params: contextParams,
        body: contextRestrictionsBody,
        response: { 200: contextResponse },
      },
    },
    (request) => deps.contexts.restrict(request.params.name, request.body, tokenActorOf(request)),
  );
  app.put<{ Params: { name: string; variable: string }; Body: { value: string } }>(
    '/api/v1/contexts/:name/variables/:variable',
    {
      config: ADMIN_ONLY,
      schema: {
        tags,
        summary: 'Set a variable of a context (encrypted at rest)',
        params: contextVariableParams,
        body: variableBody,
      },
    },
    async (request, reply) => {
      const { name, variable } = request.params;
      await deps.contexts.setVariable(name, variable, request.body.value, tokenActorOf(request));
      return reply.code(204).send();
    },
  );
  app.delete<{ Params: { name: string; variable: string } }>(
    '/api/v1/contexts/:name/variables/:variable',
    {
      config: ADMIN_ONLY,
      schema: { tags, summary: 'Remove a variable of a context', params: contextVariableParams },
    },
    async (request, reply) => {
      await deps.contexts.removeVariable(request.params.name, request.params.variable, tokenActorOf(request));
      return reply.code(204).send();
    },
  );
  registerGroupRoutes(app, deps.groups);
}

function registerGroupRoutes(app: FastifyInstance, groups: GroupStore): void {
  const tags = ['groups'];
  app.get(
    '/api/v1/groups',
    {
      config: ADMIN_ONLY,
      schema: { tags, summary: 'Every account group and its members', response: { 200: itemsOf(groupResponse) } },
    },
    async () => ({ items: await groups.list() }),
  );
  app.post<{ Body: { name: string } }>(
    '/api/v1/groups',
    { config: ADMIN_ONLY, schema: { tags, summary: 'Create an account group', body: groupBody } },
    async (request, reply) => {
      await groups.create(request.body.name, tokenActorOf(request));
      return reply.code(201).send({ name: request.body.name });
    },
  );
  app.delete<Named>(
    '/api/v1/groups/:name',
    {
      config: ADMIN_ONLY,
      schema: {
        tags,
        summary: 'Delete a group; contexts restricted to it stay restricted (to nobody, if it was their only group)',
        params: groupParams,
      },
    },
    async (request, reply) => {
      await groups.remove(request.params.name, tokenActorOf(request));
      return reply.code(204).send();
    },
  );
  app.put<{ Params: { name: string; login: string } }>(
    '/api/v1/groups/:name/members/:login',
    { config: ADMIN_ONLY, schema: { tags, summary: 'Add an account to a group', params: groupMemberParams } },
    async (request, reply) => {
      await groups.addMember(request.params.name, request.params.login, tokenActorOf(request));
      return reply.code(204).send();
    },
  );
  app.delete<{ Params: { name: string; login: string } }>(
    '/api/v1/groups/:name/members/:login',
    { config: ADMIN_ONLY, schema: { tags, summary: 'Remove an account from a group', params: groupMemberParams } },
    async (request, reply) => {
      await groups.removeMember(request.params.name, request.params.login, tokenActorOf(request));
      return reply.code(204).send();
    },
  );
}
