/**
 * The signed-in account's SSH keys page: the public keys it connects to its SSH reruns with,
 * added by pasting a `.pub` line and removed one by one.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SIGNED_IN } from '../../../http/access-policy.js';
import { formAction } from '../../../http/form-action.js';
import { sendPage } from '../../../http/web-scope.js';
import type { UserPages } from '../user-ui.js';
import { idParams, pageModel, signedInUser, type IdRequest } from './page-common.js';

export const sshKeyPages: UserPages = (web, parts) => {
  const show = async (request: FastifyRequest, reply: FastifyReply, errors: readonly string[] = []) => {
    const user = signedInUser(request);
    const posted = (request.body ?? {}) as { title?: unknown; key?: unknown };
    return sendPage(reply, parts, 'ssh-keys', {
      ...pageModel(request, 'SSH keys', {}),
      keys: await parts.userSshKeys.list(user.id),
      csrf: request.signedIn?.session.csrfToken,
      errors,
      // A refused form is shown again as it was typed.
      ...(errors.length > 0 && {
        title: typeof posted.title === 'string' ? posted.title : '',
        // Never a private key pasted by mistake: it is not sent back to the page.
        key: typeof posted.key === 'string' && !posted.key.includes('PRIVATE KEY') ? posted.key : '',
      }),
    });
  };

  web.get('/ssh-keys', { config: SIGNED_IN }, (request, reply) => show(request, reply));

  web.post<{ Body: { title?: string; key?: string } }>(
    '/ssh-keys',
    { config: SIGNED_IN },
    formAction(show, async (request) => {
      const user = signedInUser(request);
      await parts.userSshKeys.add(user.id, user.login, {
        ...(typeof request.body?.title === 'string' && { title: request.body.title }),
        key: typeof request.body?.key === 'string' ? request.body.key : '',
      });
      return '/ssh-keys';
    }),
  );

  web.post<IdRequest>(
    '/ssh-keys/:id/remove',
    { config: SIGNED_IN, schema: { params: idParams } },
    formAction(show, async (request) => {
      const user = signedInUser(request);
      await parts.userSshKeys.remove(user.id, user.login, request.params.id);
      return '/ssh-keys';
    }),
  );
};
