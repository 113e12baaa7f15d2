/**
 * `/api/v1/deliveries`: what GitHub sent and what Gyre made of it, and redelivery of a stored
 * delivery, which acts on it again as if it had just arrived (for example after fixing a
 * project's git access); the signature was checked when it first arrived.
 */
import { deliveryResponse, pageOf } from '../../../api/responses.js';
import type { FastifyInstance } from 'fastify';
import { deliveryListQuery, idParams } from '../../../api/requests.js';
import { ConflictError } from '../../../shared/errors.js';
import { paginate } from '../../http/paginate.js';
import { readDeliveryHeaders } from '../../core/webhooks/index.js';
import { actOnDelivery, type InboxDeps } from './receive-delivery.js';
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
      const delivery = await deps.deliveries.get(request.params.id);
      const raw = await deps.deliveries.raw(delivery.id);
      if (raw.projectId === null)
        throw new ConflictError(`delivery ${delivery.id} belongs to a project that was deleted`);
      const headers = readDeliveryHeaders(raw.headers);
      const encoding = headers.ok ? headers.headers.bodyEncoding : 'json';
      const action = await actOnDelivery(deps, delivery.id, raw.projectId, delivery.event, raw.body, encoding);
      await deps.deliveries.recordOutcome(delivery.id, action.outcome, action.detail, action.status);
      return reply.code(action.status).send(action.body);
    },
  );
}
