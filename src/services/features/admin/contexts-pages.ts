/**
 * The contexts pages of the admin console: every context with its restrictions, the account
 * groups they name, and one context's variables (names and last characters; values are written,
 * never shown) and restrictions. Forms are checked with the API's field rules, every problem is
 * listed on the page, and every change is audited by the stores in the transaction that makes it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import {
  contextBody,
  contextParams,
  groupBody,
  memberParams,
  variableBody,
  variableParams,
} from '../../../api/requests.js';
import { InvalidInputError } from '../../../shared/errors.js';
import { ADMIN_ONLY } from '../../http/access-policy.js';
import { sendPage } from '../../http/web-scope.js';
import type { AdminDeps } from './admin-deps.js';
import { actorOf, adminAction, adminPageModel } from './admin-page.js';

type Form = Record<string, string | string[] | undefined>;
interface Named {
  Params: { name: string };
  Body: Form;
}
interface NamedItem {
  Params: { name: string; item: string };
  Body: Form;
}

export function registerContextsPages(web: FastifyInstance, deps: AdminDeps): void {
  const showList = async (request: FastifyRequest, reply: FastifyReply, errors: readonly string[] = []) =>
    sendPage(reply, deps, 'admin-contexts', {
      ...adminPageModel(request, 'Contexts'),
      contexts: await deps.contexts.list(),
      groups: await deps.groups.list(),
      errors,
    });
  const showOne = async (request: FastifyRequest, reply: FastifyReply, errors: readonly string[] = []) => {
    const context = await deps.contexts.get(nameOf(request));
    const groups = (await deps.groups.list()).map((g) => ({ name: g.name, chosen: context.groups?.includes(g.name) }));
    const projects = (await deps.projects.list({ userId: null, admin: true, name: 'admin' }, { limit: 1000 })).map(
      (p) => ({ id: p.id, name: p.name, chosen: context.projects?.some((c) => c.id === p.id) }),
    );
    return sendPage(reply, deps, 'admin-context', {
      ...adminPageModel(request, `Context ${context.name}`),
      context,
      groups,
      projects,
      errors,
    });
  };
  const listAction = <R extends Named | NamedItem | { Body: Form }>(
    action: (request: FastifyRequest<R>) => Promise<unknown>,
  ) => adminAction<R>(showList, '/contexts', action);
  const oneAction =
    <R extends Named | NamedItem>(action: (request: FastifyRequest<R>) => Promise<unknown>) =>
    async (request: FastifyRequest<R>, reply: FastifyReply) =>
      adminAction<R>(showOne, `/contexts/${encodeURIComponent(nameOf(request))}`, action)(request, reply);

  web.get('/contexts', { config: ADMIN_ONLY }, (request, reply) => showList(request, reply));
  web.post<{ Body: Form }>(
    '/contexts',
    { config: ADMIN_ONLY },
    listAction<{ Body: Form }>(async (request) => {
      const { name } = checked(contextBody, { name: text(request.body.name) }, 'the new context');
      await deps.contexts.create(name, actorOf(request));
    }),
  );
  web.get<Named>('/contexts/:name', { config: ADMIN_ONLY, schema: { params: contextParams } }, (request, reply) =>
    showOne(request, reply),
  );
  web.post<Named>(
    '/contexts/:name/variables',
    { config: ADMIN_ONLY, schema: { params: contextParams } },
    oneAction<Named>(async (request) => {
      const { name } = checked(
        variableParams.pick({ name: true }),
        { name: text(request.body.variable) },
        'the variable',
      );
      const { value } = checked(variableBody, { value: text(request.body.value, false) }, 'the variable');
      await deps.contexts.setVariable(request.params.name, name, value, actorOf(request));
    }),
  );
  web.post<NamedItem>(
    '/contexts/:name/variables/:item/remove',
    { config: ADMIN_ONLY },
    oneAction<NamedItem>((request) =>
      deps.contexts.removeVariable(request.params.name, request.params.item, actorOf(request)),
    ),
  );
  web.post<Named>(
    '/contexts/:name/restrictions',
    { config: ADMIN_ONLY, schema: { params: contextParams } },
    oneAction<Named>(async (request) => {
      const chosen = (key: string) => [request.body[key] ?? []].flat();
      await deps.contexts.restrict(
        request.params.name,
        {
          groups: request.body.groupsMode === 'some' ? chosen('groups') : null,
          projects: request.body.projectsMode === 'some' ? chosen('projects').map(Number) : null,
        },
        actorOf(request),
      );
    }),
  );
  web.post<Named>(
    '/contexts/:name/delete',
    { config: ADMIN_ONLY, schema: { params: contextParams } },
    listAction<Named>((request) => deps.contexts.remove(request.params.name, actorOf(request))),
  );

  web.post<{ Body: Form }>(
    '/groups',
    { config: ADMIN_ONLY },
    listAction<{ Body: Form }>(async (request) => {
      const { name } = checked(groupBody, { name: text(request.body.name) }, 'the new group');
      await deps.groups.create(name, actorOf(request));
    }),
  );
  web.post<Named>(
    '/groups/:name/members',
    { config: ADMIN_ONLY },
    listAction<Named>(async (request) => {
      const { login } = checked(memberParams.pick({ login: true }), { login: text(request.body.login) }, 'the member');
      await deps.groups.addMember(request.params.name, login, actorOf(request));
    }),
  );
  web.post<NamedItem>(
    '/groups/:name/members/:item/remove',
    { config: ADMIN_ONLY },
    listAction<NamedItem>((request) =>
      deps.groups.removeMember(request.params.name, request.params.item, actorOf(request)),
    ),
  );
  web.post<Named>(
    '/groups/:name/delete',
    { config: ADMIN_ONLY },
    listAction<Named>((request) => deps.groups.remove(request.params.name, actorOf(request))),
  );
}

/** The context or group a route's `:name` names. */
const nameOf = (request: FastifyRequest): string => (request.params as { name: string }).name;

/** A posted text field, trimmed unless it is a value (whose spaces may matter). */
function text(field: string | string[] | undefined, trim = true): string {
  const value = typeof field === 'string' ? field : '';
  return trim ? value.trim() : value;
}

/** The form's fields checked with the API's schema; every problem at once. */
function checked<S extends z.ZodType>(schema: S, fields: unknown, source: string): z.infer<S> {
  const result = schema.safeParse(fields);
  if (result.success) return result.data;
  throw new InvalidInputError(
    source,
    result.error.issues.map((issue) => ({ input: issue.path.join('.') || 'form', message: issue.message })),
  );
}
