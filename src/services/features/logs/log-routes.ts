/**
 * `GET /api/v1/jobs/:id/log`: a job's log as plain text, streamed, with HTTP byte ranges so that
 * a viewer can fetch the tail or resume a download; and its live stream (log-stream-route.ts).
 */
import type { FastifyInstance } from 'fastify';
import { idParams, logQuery } from '../../../api/requests.js';
import type { ApiErrorBody } from '../../http/error-shape.js';
import { formatContentRange, parseByteRange } from '../../core/logs/byte-range.js';
import { LiveLogHub } from './live-log-hub.js';
import type { Database } from '../../database/create-pool.js';
import type { AttemptSelection, LogStore } from '../../stores/logs/log-store.js';
import { registerLogStreamRoute } from './log-stream-route.js';
import { projectRole } from '../../http/access-policy.js';

/** What the log routes need. */
export interface LogRouteDeps {
  readonly db: Database;
  readonly logs: LogStore;
  /**
   * Live streams of this process; tests pass their own to watch its pollers.
   * @default a hub over `db` that reports failed polls to the app's logger
   */
  readonly live?: LiveLogHub;
}

/** Registers the log read and live stream routes; token authentication comes from the scope they are registered in. */
export function registerLogRoutes(app: FastifyInstance, deps: LogRouteDeps): void {
  const live =
    deps.live ??
    new LiveLogHub(deps.db, { onError: (error, at) => app.log.warn({ err: error, ...at }, 'live log poll failed') });
  registerLogStreamRoute(app, deps.logs, live);
  app.get<{ Params: { id: number }; Querystring: { attempt?: string } }>(
    '/api/v1/jobs/:id/log',
    {
      config: projectRole('viewer', 'job'),
      schema: {
        tags: ['logs'],
        summary: "Get a job's log as text, whole or a byte range (`Range: bytes=a-b`)",
        params: idParams,
        querystring: logQuery,
      },
    },
    async (request, reply) => {
      const view = await deps.logs.open(request.params.id, toSelection(request.query.attempt));
      const range = parseByteRange(request.headers.range, view.size);
      // A running job's log grows, so no cache may keep an old copy.
      void reply.header('accept-ranges', 'bytes').header('cache-control', 'no-store');
      if (range.kind === 'unsatisfiable') {
        const body: ApiErrorBody = {
          error: {
            code: 'range_not_satisfiable',
            message: `the log is ${view.size} bytes; ask for a range that starts before byte ${view.size}`,
          },
        };
        return reply.code(416).header('content-range', formatContentRange(range, view.size)).send(body);
      }
      const [start, end] = range.kind === 'partial' ? [range.start, range.end + 1] : [0, view.size];
      if (range.kind === 'partial') void reply.code(206).header('content-range', formatContentRange(range, view.size));
      return reply
        .type('text/plain; charset=utf-8')
        .header('content-length', end - start)
        .send(deps.logs.stream(view, { start, end }));
    },
  );
}

/** The attempt a `?attempt=` query asks for. */
export function toSelection(attempt: string | undefined): AttemptSelection {
  if (attempt === undefined || attempt === 'latest' || attempt === 'all') return attempt ?? 'latest';
  return Number(attempt);
}
