/**
 * A project's webhook deliveries, newest first, with what Gyre made of each (`pipeline`,
 * `refused`, `ignored`, ...), for anyone who may see the project (as `GET /api/v1/deliveries/:id`),
 * and a redeliver button for those the API's redeliver route allows (maintainers of the
 * delivery's project). Redelivery is the API's own function, so both record the same outcome.
 */
import { z } from 'zod';
import { idSchema } from '../../../../api/requests.js';
import { projectRole } from '../../../http/access-policy.js';
import { checkCsrf } from '../../../http/session-auth.js';
import { sendPage } from '../../../http/web-scope.js';
import { redeliver } from '../../webhooks/redeliver.js';
import type { UserPages } from '../user-ui.js';
import { idParams, type IdRequest } from './page-common.js';
import { projectPageModel } from './project-page-model.js';
import { PAGE_ROLES } from './project-tabs.js';

/** How many deliveries the page lists: enough to find a recent one GitHub reports a problem with. */
const LISTED = 50;

/** `?redelivered=ID` after a redelivery, so the page can point at the delivery's new outcome. */
const redeliveredQuery = z.object({ redelivered: idSchema.optional() });

export const projectDeliveryPages: UserPages = (web, parts) => {
  web.get<IdRequest & { Querystring: { redelivered?: number } }>(
    '/projects/:id/deliveries',
    {
      config: projectRole(PAGE_ROLES.deliveries, 'project'),
      schema: { params: idParams, querystring: redeliveredQuery },
    },
    async (request, reply) => {
      const id = request.params.id;
      const deliveries = await parts.deliveries.list({ limit: LISTED, projectId: id });
      const redelivered = deliveries.find((delivery) => delivery.id === request.query.redelivered);
      return sendPage(
        reply,
        parts,
        'project-deliveries',
        await projectPageModel(request, parts, id, 'deliveries', 'Deliveries', {
          deliveries: deliveries.map((delivery) => ({ ...delivery, highlighted: delivery === redelivered })),
          redelivered,
          listed: LISTED,
        }),
      );
    },
  );

  web.post<IdRequest>(
    '/deliveries/:id/redeliver',
    { config: projectRole('maintainer', 'delivery'), schema: { params: idParams } },
    async (request, reply) => {
      checkCsrf(request);
      const { projectId } = await redeliver(parts, request.params.id);
      return reply.redirect(`/projects/${projectId}/deliveries?redelivered=${request.params.id}`, 303);
    },
  );
};
