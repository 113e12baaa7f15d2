/**
 * `/api/v1/deliveries`: what GitHub sent and what Gyre made of it, and redelivery of a stored
 * delivery (./redeliver.ts), which acts on it again as if it had just arrived.
 */
import { deliveryResponse, pageOf } from '../../../api/responses.js';
import type { FastifyInstance } from 'fastify';
import { deliveryListQuery, idParams } from '../../../api/requests.js';
import { paginate } from '../../http/paginate.js';
import type { InboxDeps } from './receive-delivery.js';
import { redeliver } from './redeliver.js';
import { ADMIN_ONLY, projectRole } from '../../http/access-policy.js';

export function registerDeliveryRoutes(app: FastifyInstance, deps: InboxDeps): void {
  app.get<{ Querystring: { limit: number; before?: number; project?: number } }>(
    '/api/v1/deliveries',
    {
      config: ADMIN_ONLY,
      schema: {
        tags: ['deliveries'],
        summary: 'List webhook deliveries, newest first',
        querystring: deliveryListQuery,
        response: { 200: pageOf(deliveryResponse) },
      },
    },
    async (request) => {
      const { limit, before, project } = request.query;
      return paginate(limit, (rows) =>
        deps.deliveries.list({
          limit: rows,
          ...(before !== undefined && { before }),
          ...(project !== undefined && { projectId: project }),
        }),
      );
    },
  );

  app.get<{ Params: { id: number } }>(
    '/api/v1/deliveries/:id',
    {
      config: projectRole('viewer', 'delivery'),
      schema: {
        tags: ['deliveries'],
        summary: 'Get a delivery and what Gyre made of it',
        params: idParams,
        response: { 200: deliveryResponse },
      },
    },
    (request) => deps.deliveries.get(request.params.id),
  );

  app.post<{ Params: { id: number } }>(
    '/api/v1/deliveries/:id/redeliver',
    {
      config: projectRole('maintainer', 'delivery'),
      schema: {
        tags: ['deliveries'],
        summary:
          "Act on a stored delivery again; a push makes a new pipeline (e.g. after fixing the project's git URL)",
        params: idParams,
      },
    },
    async (request, reply) => {
      const { answer } = await redeliver(deps, request.params.id);
      return reply.code(answer.status).send(answer.body);
    },
  );
}
