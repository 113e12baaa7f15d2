/**
 * `GET /api/v1/jobs/:id/log/stream`: an attempt's log as Server-Sent Events, from what is
 * stored to the job's end (event format in sse-format.ts). Unknown jobs and attempts are
 * answered as errors before the stream starts, so they get the API's usual 404 body.
 */
import { idParams, logStreamQuery } from '../../../api/requests.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LiveLogHub } from './live-log-hub.js';
import type { LogStore } from '../../stores/logs/log-store.js';
import { parseLastEventId } from '../../core/logs/sse-format.js';
import { projectRole } from '../../http/access-policy.js';

/** Registers the live stream route; see {@link attachHub}. */
export function registerLogStreamRoute(app: FastifyInstance, logs: LogStore, hub: LiveLogHub): void {
  attachHub(app, hub, logs);
  app.get<LiveLogRequest>(
    '/api/v1/jobs/:id/log/stream',
    {
      config: projectRole('viewer', 'job'),
      schema: {
        tags: ['logs'],
        summary: "Follow a job's log live as Server-Sent Events; resumes from `Last-Event-ID` (a byte offset)",
        params: idParams,
        querystring: logStreamQuery,
      },
    },
    (request, reply) => sendLiveLog(logs, hub, request, reply),
  );
}

/** Route types of a live log request; `id` is the job. */
export interface LiveLogRequest {
  Params: { id: number };
  Querystring: { attempt?: string };
}

/** The schemas a live log route validates with. */
export const liveLogSchema = { params: idParams, querystring: logStreamQuery } as const;

/** Wakes the hub's pollers when this process stores chunks, and closes its streams when the app closes. */
export function attachHub(app: FastifyInstance, hub: LiveLogHub, logs: LogStore): void {
  const unsubscribe = logs.onAppend((jobId, attempt) => hub.nudge(jobId, attempt));
  // Open streams would otherwise keep the server from closing.
  app.addHook('preClose', (done) => {
    unsubscribe();
    hub.closeAll();
    done();
  });
}

/**
 * Answers one live log request; the route that calls it decides who may ask (API token or
 * web session), so both follow logs with the same code.
 */
export async function sendLiveLog(
  logs: LogStore,
  hub: LiveLogHub,
  request: FastifyRequest<LiveLogRequest>,
  reply: FastifyReply,
): Promise<void> {
  const { attempt: query } = request.query;
  const view = await logs.open(request.params.id, query === undefined || query === 'latest' ? 'latest' : Number(query));
  // The schema rules out 'all', so the view is of one attempt.
  const attempt = typeof view.attempt === 'number' ? view.attempt : 0;
  reply.hijack();
  // no-transform and X-Accel-Buffering keep proxies (nginx among them) from buffering the stream.
  reply.raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store, no-transform',
    'x-accel-buffering': 'no',
  });
  reply.raw.flushHeaders();
  await hub.follow({
    jobId: view.jobId,
    attempt,
    from: parseLastEventId(request.headers['last-event-id']),
    response: reply.raw,
    ...(request.stillAllowed && { stillAllowed: request.stillAllowed }),
  });
}
