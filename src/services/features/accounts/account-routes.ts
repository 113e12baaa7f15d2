/**
 * `/api/v1/accounts` and the sign-up setting: the admin console's Accounts page for scripts.
 * Administrators' tokens only; every change is audited under the token's name, in the
 * transaction that makes it, and the same rules hold as in the console (the last administrator
 * account stays; nobody demotes or removes themselves).
 */
import { accountResponse, itemsOf, signupSettingResponse, userResponse } from '../../../api/responses.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createAccountBody, idParams, setAdminBody, signupSettingBody } from '../../../api/requests.js';
import { ConflictError } from '../../../shared/errors.js';
import type { RuntimeSettings } from '../../stores/settings/runtime-settings.js';
import { tokenActorOf } from '../../http/token-auth.js';
import { ADMIN_ONLY } from '../../http/access-policy.js';
import type { UserStore } from '../../stores/accounts/user-store.js';

export interface AccountRouteDeps {
  readonly users: UserStore;
  readonly runtimeSettings: RuntimeSettings;
}

const tags = ['accounts'];

function refuseSelf(request: FastifyRequest<{ Params: { id: number } }>, what: string): void {
  if (request.identity?.userId === request.params.id)
    throw new ConflictError(`a token cannot ${what} its own account; another administrator can`);
}

export function registerAccountRoutes(app: FastifyInstance, deps: AccountRouteDeps): void {
  app.get(
    '/api/v1/accounts',
    {
      config: ADMIN_ONLY,
      schema: {
        tags,
        summary: 'Every account, oldest first, with how it signs in and its role',
        response: { 200: itemsOf(accountResponse) },
      },
    },
    async () => ({ items: await deps.users.list() }),
  );

  app.post<{ Body: { login: string; password: string; admin?: boolean } }>(
    '/api/v1/accounts',
    {
      config: ADMIN_ONLY,
      schema: {
        tags,
        summary: 'Create a local account (whether sign-up is open or not)',
        body: createAccountBody,
        response: { 201: userResponse },
      },
    },
    async (request, reply) =>
      reply.code(201).send(
        await deps.users.createLocal(request.body.login.trim(), request.body.password, {
          by: 'admin',
          admin: request.body.admin === true,
          actor: tokenActorOf(request),
        }),
      ),
  );

  app.put<{ Params: { id: number }; Body: { admin: boolean } }>(
    '/api/v1/accounts/:id/admin',
    {
      config: ADMIN_ONLY,
      schema: {
        tags,
        summary: 'Grant (true) or revoke (false) administrator rights',
        params: idParams,
        body: setAdminBody,
        response: { 200: userResponse },
      },
    },
    async (request) => {
      if (!request.body.admin) refuseSelf(request, 'revoke the administrator rights of');
      return deps.users.setAdmin(request.params.id, request.body.admin, tokenActorOf(request));
    },
  );

  app.delete<{ Params: { id: number } }>(
    '/api/v1/accounts/:id',
    {
      config: ADMIN_ONLY,
      schema: {
        tags,
        summary: 'Remove an account with its sessions and API tokens',
        params: idParams,
        response: { 200: userResponse },
      },
    },
    async (request) => {
      refuseSelf(request, 'remove');
      return deps.users.remove(request.params.id, tokenActorOf(request));
    },
  );

  app.get(
    '/api/v1/settings/signup',
    {
      config: ADMIN_ONLY,
      schema: { tags, summary: 'Whether people may make their own accounts', response: { 200: signupSettingResponse } },
    },
    async () => ({ signup: (await deps.runtimeSettings.signupOpen()) ? 'open' : 'closed' }),
  );

  app.put<{ Body: { signup: 'open' | 'closed' } }>(
    '/api/v1/settings/signup',
    {
      config: ADMIN_ONLY,
      schema: {
        tags,
        summary: 'Open or close sign-up (closed: no sign-up, new GitHub users refused)',
        body: signupSettingBody,
        response: { 200: signupSettingResponse },
      },
    },
    async (request) => {
      await deps.runtimeSettings.put('accounts.signup', request.body.signup, tokenActorOf(request), {
        value: request.body.signup,
      });
      return { signup: request.body.signup };
    },
  );
}
