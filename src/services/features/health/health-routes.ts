/**
 * `GET /healthz`: 200 when the app can reach its database, 503 with the reason when it cannot.
 * Compose health checks, load balancers and `gyre status` read it.
 */
import { healthResponse } from '../../../api/responses.js';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../database/create-pool.js';
import { ROUTINE } from '../../http/request-log.js';
import { checkDatabase } from './check-database.js';
import { publicRoute } from '../../http/access-policy.js';

const DATABASE_TIMEOUT_MS = 2_000;

export function registerHealthRoutes(app: FastifyInstance, db: Database, version: string): void {
  // As a plugin, so it loads after (and is documented by) an OpenAPI collector registered before it.
  void app.register((scope, _options, done) => {
    scope.get(
      '/healthz',
      {
        config: { ...publicRoute('load balancers and probes ask it; it tells only health and version'), ...ROUTINE },
        schema: {
          summary: 'Health: 200 when the database answers, 503 with the reason when not',
          security: [],
          response: { 200: healthResponse, 503: healthResponse },
        },
      },
      async (_request, reply) => {
        const database = await checkDatabase(db, DATABASE_TIMEOUT_MS);
        const up = database.state === 'up';
        return reply.code(up ? 200 : 503).send({ status: up ? 'ok' : 'unavailable', version, database });
      },
    );
    done();
  });
}
