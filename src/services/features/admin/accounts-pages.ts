/**
 * The accounts page: every account with how it signs in, whether people may sign up by
 * themselves, and the administrator's actions: create an account (whatever the sign-up setting),
 * grant or revoke administrator rights, remove an account (its sessions and API tokens go with
 * it). Every action is audited in the transaction that makes it (UserStore); the last administrator account can neither be demoted nor removed.
 */
import { idParams } from '../../../api/requests.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ConflictError } from '../../../shared/errors.js';
import { sendPage } from '../../http/web-scope.js';
import type { AdminDeps } from './admin-deps.js';
import { actorOf, adminAction, adminPageModel } from './admin-page.js';
import { ADMIN_ONLY } from '../../http/access-policy.js';

interface AccountForm {
  Body: { login?: string; password?: string; admin?: string; signup?: string; _csrf?: string };
}

interface AccountRequest {
  Params: { id: number };
  Body: { admin?: string; _csrf?: string };
}

export function registerAccountsPages(web: FastifyInstance, deps: AdminDeps): void {
  const showAccounts = async (request: FastifyRequest, reply: FastifyReply, errors: readonly string[] = []) => {
    const self = request.signedIn?.user?.id;
    const accounts = (await deps.users.list()).map((account) => ({ ...account, isSelf: account.id === self }));
    const entered = (request.body as AccountForm['Body'] | undefined)?.login ?? '';
    return sendPage(reply, deps, 'admin-accounts', {
      ...adminPageModel(request, 'Accounts'),
      accounts,
      signupOpen: await deps.runtimeSettings.signupOpen(),
      errors,
      login: entered,
    });
  };
  const act = <R extends AccountForm | AccountRequest>(action: (request: FastifyRequest<R>) => Promise<unknown>) =>
    adminAction<R>(showAccounts, '/accounts', action);

  web.get('/accounts', { config: ADMIN_ONLY }, (request, reply) => showAccounts(request, reply));

  web.post<AccountForm>(
    '/accounts',
    { config: ADMIN_ONLY },
    act<AccountForm>(async (request) => {
      const user = await deps.users.createLocal(
        String(request.body.login ?? '').trim(),
        String(request.body.password ?? ''),
        { by: 'admin', admin: request.body.admin === 'on', actor: actorOf(request) },
      );
      request.log.info({ login: user.login, actor: actorOf(request) }, 'account created by an administrator');
    }),
  );

  web.post<AccountForm>(
    '/accounts/signup',
    { config: ADMIN_ONLY },
    act<AccountForm>(async (request) => {
      const value = request.body.signup === 'open' ? 'open' : 'closed';
      await deps.runtimeSettings.put('accounts.signup', value, actorOf(request), { value });
      request.log.info({ signup: value, actor: actorOf(request) }, 'sign-up setting changed');
    }),
  );

  web.post<AccountRequest>(
    '/accounts/:id/admin',
    { config: ADMIN_ONLY, schema: { params: idParams } },
    act<AccountRequest>(async (request) => {
      const grant = request.body.admin === 'grant';
      if (!grant && request.params.id === request.signedIn?.user?.id)
        throw new ConflictError('you cannot revoke your own administrator rights; another administrator can');
      const user = await deps.users.setAdmin(request.params.id, grant, actorOf(request));
      // Revoked rights take effect at once: the console checks them on every request.
      request.log.info({ login: user.login, admin: grant, actor: actorOf(request) }, 'administrator rights changed');
    }),
  );

  web.post<AccountRequest>(
    '/accounts/:id/remove',
    { config: ADMIN_ONLY, schema: { params: idParams } },
    act<AccountRequest>(async (request) => {
      if (request.params.id === request.signedIn?.user?.id)
        throw new ConflictError('you cannot remove your own account; another administrator can');
      const user = await deps.users.remove(request.params.id, actorOf(request));
      request.log.info({ login: user.login, actor: actorOf(request) }, 'account removed');
    }),
  );
}
