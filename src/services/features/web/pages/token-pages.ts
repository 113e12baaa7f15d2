/**
 * The signed-in user's API tokens: list, create (the token shown once, on the answer to the
 * post, never again) and revoke.
 */
import { createApiToken, listUserTokens, revokeUserToken } from '../../../stores/accounts/api-tokens.js';
import { checkCsrf } from '../../../http/session-auth.js';
import { SIGNED_IN } from '../../../http/access-policy.js';
import type { UserPages } from '../user-ui.js';
import { sendPage } from '../../../http/web-scope.js';
import { idParams, pageModel, signedInUser, type IdRequest } from './page-common.js';

const NAME = /^[\p{L}\p{N} ._-]{1,100}$/u;

export const tokenPages: UserPages = (web, parts) => {
  const show = async (request: Parameters<typeof signedInUser>[0], extra: object) => {
    const tokens = await listUserTokens(parts.db, signedInUser(request).id);
    return pageModel(request, 'API tokens', { tokens, csrf: request.signedIn?.session.csrfToken, ...extra });
  };

  web.get('/tokens', { config: SIGNED_IN }, async (request, reply) =>
    sendPage(reply, parts, 'tokens', await show(request, {})),
  );

  web.post('/tokens', { config: SIGNED_IN }, async (request, reply) => {
    checkCsrf(request);
    const user = signedInUser(request);
    const posted = (request.body as { name?: unknown } | undefined)?.name;
    const name = typeof posted === 'string' ? posted.trim() : '';
    if (!NAME.test(name)) {
      return sendPage(
        reply.code(400),
        parts,
        'tokens',
        await show(request, {
          error:
            'Name: 1 to 100 letters, digits, spaces and . _ -, saying what the token is for (e.g. "deploy script")',
          name,
        }),
      );
    }
    const created = await createApiToken(parts.db, name, user.id);
    return sendPage(reply.code(201), parts, 'tokens', await show(request, { created: { ...created, name } }));
  });

  web.post<IdRequest>(
    '/tokens/:id/revoke',
    { config: SIGNED_IN, schema: { params: idParams } },
    async (request, reply) => {
      checkCsrf(request);
      await revokeUserToken(parts.db, signedInUser(request).id, request.params.id);
      return reply.redirect('/tokens', 303);
    },
  );
};
