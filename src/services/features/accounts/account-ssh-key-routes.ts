/**
 * `/api/v1/user/ssh-keys`: the calling account's public keys for SSH into builds (its own only,
 * so any signed-in account may call them). A token made on the services box acts for no account,
 * and so has none.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { addSshKeyBody, idParams } from '../../../api/requests.js';
import { itemsOf, userSshKeyResponse } from '../../../api/responses.js';
import { SIGNED_IN } from '../../http/access-policy.js';
import { AuthError } from '../../http/error-shape.js';
import { tokenActorOf } from '../../http/token-auth.js';
import type { UserSshKeys } from '../../stores/accounts/user-ssh-keys.js';

const tags = ['ssh keys'];

/** The account of the caller: a session's user, or the account a token acts for. */
export function accountOf(request: FastifyRequest): { id: number; login: string } {
  const token = request.identity;
  if (token?.userId != null && token.login != null) return { id: token.userId, login: token.login };
  const user = request.signedIn?.user;
  if (!token && user) return { id: user.id, login: user.login };
  throw new AuthError(
    403,
    'SSH keys belong to an account, and this caller has none (a token made on the services box, or the built-in admin): use an account of your own',
  );
}

export function registerAccountSshKeyRoutes(app: FastifyInstance, deps: { readonly userSshKeys: UserSshKeys }): void {
  app.get(
    '/api/v1/user/ssh-keys',
    {
      config: SIGNED_IN,
      schema: {
        tags,
        summary: "The calling account's SSH public keys",
        response: { 200: itemsOf(userSshKeyResponse) },
      },
    },
    async (request) => ({ items: await deps.userSshKeys.list(accountOf(request).id) }),
  );

  app.post<{ Body: { title?: string; key: string } }>(
    '/api/v1/user/ssh-keys',
    {
      config: SIGNED_IN,
      schema: {
        tags,
        summary: 'Add an SSH public key to the calling account, for SSH into its reruns',
        body: addSshKeyBody,
        response: { 201: userSshKeyResponse },
      },
    },
    async (request, reply) => {
      const account = accountOf(request);
      return reply
        .code(201)
        .send(await deps.userSshKeys.add(account.id, account.login, request.body, tokenActorOf(request)));
    },
  );

  app.delete<{ Params: { id: number } }>(
    '/api/v1/user/ssh-keys/:id',
    { config: SIGNED_IN, schema: { tags, summary: 'Remove one of the calling account’s SSH keys', params: idParams } },
    async (request, reply) => {
      const account = accountOf(request);
      await deps.userSshKeys.remove(account.id, account.login, request.params.id, tokenActorOf(request));
      return reply.code(204).send();
    },
  );
}
