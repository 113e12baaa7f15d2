/**
 * `POST /webhooks/github`: the raw bytes reach the inbox untouched (the signature covers them),
 * and a body over 25 MB is refused with 413 as soon as its length is known.
 */
import { webhookQuery } from '../../../api/requests.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidInputError } from '../../../shared/errors.js';
import { receiveDelivery, type InboxDeps } from './receive-delivery.js';
import { publicRoute } from '../../http/access-policy.js';

export const MAX_DELIVERY_BYTES = 25 * 1024 * 1024;

/**
 * Before the body is read: a delivery must name its project, so that only that project's secret
 * is tried, and nobody can make the app read 25 MB and try every project's secret on it.
 */
function projectNamedFirst(request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void {
  const project = (request.query as { project?: unknown }).project;
  if (typeof project === 'string' && /^[1-9][0-9]{0,15}$/.test(project)) return done();
  done(
    new InvalidInputError('the webhook URL', [
      {
        input: 'project',
        message: 'must name the project, e.g. /webhooks/github?project=12',
        hint: "copy the webhook URL from the project's page into GitHub's webhook settings",
      },
    ]),
  );
}

export function registerWebhookRoute(app: FastifyInstance, deps: InboxDeps): void {
  void app.register((scope, _options, done) => {
    // Parsing JSON here would lose the exact bytes GitHub signed.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_DELIVERY_BYTES }, (_request, body, parsed) =>
      parsed(null, body),
    );
    scope.post<{ Querystring: { project: number } }>(
      '/webhooks/github',
      {
        config: publicRoute("GitHub calls it; each delivery is checked against its project's webhook secret"),
        onRequest: projectNamedFirst,
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
          projectId: request.query.project,
        });
        return reply.code(answer.status).send(answer.body);
      },
    );
    done();
  });
}
