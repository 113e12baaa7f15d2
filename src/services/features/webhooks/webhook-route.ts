/**
 * `POST /webhooks/github`: the raw bytes reach the inbox untouched (the signature covers them),
 * and a body over 25 MB is refused with 413 as soon as its length is known.
 */
import { webhookQuery } from '../../../api/requests.js';
import type { FastifyInstance } from 'fastify';
import { receiveDelivery, type InboxDeps } from './receive-delivery.js';
import { publicRoute } from '../../http/access-policy.js';

export const MAX_DELIVERY_BYTES = 25 * 1024 * 1024;

export function registerWebhookRoute(app: FastifyInstance, deps: InboxDeps): void {
  void app.register((scope, _options, done) => {
    // Parsing JSON here would lose the exact bytes GitHub signed.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_DELIVERY_BYTES }, (_request, body, parsed) =>
      parsed(null, body),
    );
    scope.post<{ Querystring: { project?: number } }>(
      '/webhooks/github',
      {
        config: publicRoute("GitHub calls it; each delivery is checked against its project's webhook secret"),
        schema: {
          tags: ['webhooks'],
          summary: 'GitHub webhook inbox, authenticated by X-Hub-Signature-256',
          security: [],
          querystring: webhookQuery,
        },
      },
      async (request, reply) => {
        const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const answer = await receiveDelivery(deps, {
          headers: request.headers,
          rawBody,
          ...(request.query.project !== undefined && { projectId: request.query.project }),
        });
        return reply.code(answer.status).send(answer.body);
      },
    );
    done();
  });
}
