/**
 * A project's settings page (maintainers): git URL, default branch, linked GitHub repository,
 * visibility and the fork options (saved with the same store call as `PATCH /api/v1/projects/:id`),
 * the repository credential (set, replaced or removed as `/api/v1/projects/:id/credential` does; a
 * token is never shown again, a deploy key's public half is) and the SSH keys for `add_ssh_keys`
 * (added and removed as `/api/v1/projects/:id/ssh-keys` does; a private key is never shown).
 * A bad form (including a git URL the API would refuse) is shown again with every problem and
 * what the user typed; nothing is saved. Changes are audited under the signed-in account.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { projectRole } from '../../../http/access-policy.js';
import { formAction } from '../../../http/form-action.js';
import { sendPage } from '../../../http/web-scope.js';
import type { UserPages } from '../user-ui.js';
import { checkGitUrl } from '../../projects/check-git-url.js';
import { idParams, postedForm, userActorOf, type IdRequest } from './page-common.js';
import { projectPageModel } from './project-page-model.js';
import { readCredentialForm } from './project-credential-form.js';
import { readSettingsForm, settingsChanges, settingsFormOf } from './project-settings-form.js';
import { PAGE_ROLES } from './project-tabs.js';

/** `?saved=1` after a change was saved, so the page says so. */
const savedQuery = z.object({ saved: z.string().optional() });

export const projectSettingsPages: UserPages = (web, parts) => {
  // After a refused settings form the page shows what was typed; after anything else, what is saved.
  const show =
    (typed: boolean) =>
    async (request: FastifyRequest, reply: FastifyReply, errors: readonly string[] = []) => {
      const id = (request.params as IdRequest['Params']).id;
      const saved = request.method === 'GET' && (request.query as { saved?: string }).saved !== undefined;
      const form = typed ? readSettingsForm(request.body) : settingsFormOf(await parts.projects.get(id));
      return sendPage(
        reply,
        parts,
        'project-settings',
        await projectPageModel(request, parts, id, 'settings', 'Settings', {
          form,
          errors,
          saved,
          credential: await parts.credentials.summary(id),
          sshKeys: await parts.sshKeys.list(id),
        }),
      );
    };

  web.get<IdRequest>(
    '/projects/:id/settings',
    { config: projectRole(PAGE_ROLES.settings, 'project'), schema: { params: idParams, querystring: savedQuery } },
    (request, reply) => show(false)(request, reply),
  );

  web.post<IdRequest>(
    '/projects/:id/settings',
    { config: projectRole('maintainer', 'project'), schema: { params: idParams } },
    formAction<IdRequest>(show(true), async (request) => {
      const changes = settingsChanges(readSettingsForm(request.body));
      if (changes.gitUrl !== undefined)
        await checkGitUrl(parts.hostPolicy, changes.gitUrl, 'the settings form', 'Git URL');
      await parts.projects.update(request.params.id, changes, userActorOf(request));
      return `/projects/${request.params.id}/settings?saved=1`;
    }),
  );

  web.post<IdRequest>(
    '/projects/:id/credential',
    { config: projectRole('maintainer', 'project'), schema: { params: idParams } },
    formAction<IdRequest>(show(false), async (request) => {
      await parts.credentials.set(request.params.id, readCredentialForm(request.body), userActorOf(request));
      return `/projects/${request.params.id}/settings?saved=1`;
    }),
  );

  web.post<IdRequest>(
    '/projects/:id/credential/remove',
    { config: projectRole('maintainer', 'project'), schema: { params: idParams } },
    formAction<IdRequest>(show(false), async (request) => {
      await parts.credentials.remove(request.params.id, userActorOf(request));
      return `/projects/${request.params.id}/settings?saved=1`;
    }),
  );

  web.post<IdRequest>(
    '/projects/:id/ssh-keys',
    { config: projectRole('maintainer', 'project'), schema: { params: idParams } },
    formAction<IdRequest>(show(false), async (request) => {
      const posted = postedForm(request.body);
      const hostname = posted.text('hostname');
      const key = { privateKey: posted.raw('privateKey'), ...(hostname !== '' && { hostname }) };
      await parts.sshKeys.add(request.params.id, key, userActorOf(request));
      return `/projects/${request.params.id}/settings?saved=1`;
    }),
  );

  web.post<IdRequest>(
    '/projects/:id/ssh-keys/remove',
    { config: projectRole('maintainer', 'project'), schema: { params: idParams } },
    formAction<IdRequest>(show(false), async (request) => {
      const fingerprint = postedForm(request.body).text('fingerprint');
      await parts.sshKeys.remove(request.params.id, fingerprint, userActorOf(request));
      return `/projects/${request.params.id}/settings?saved=1`;
    }),
  );
};
