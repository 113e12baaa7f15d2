/**
 * A job's log for the user UI, behind the web session rather than an API token: the raw
 * download, the live stream (the same code as `/api/v1/jobs/:id/log/stream`) and the stored
 * text the job page shows to readers without JavaScript.
 */
import { LiveLogHub } from '../../logs/live-log-hub.js';
import type { FastifyInstance } from 'fastify';
import { attachHub, liveLogSchema, sendLiveLog, type LiveLogRequest } from '../../logs/log-stream-route.js';
import { toSelection } from '../../logs/log-routes.js';
import { type LogStore } from '../../../stores/logs/log-store.js';
import type { UserPages } from '../user-ui.js';
import { logQuery } from '../../../../api/requests.js';
import { stripAnsi } from './ansi-text.js';
import { idParams, type IdRequest } from './page-common.js';
import { DATA_ROUTE, projectRole } from '../../../http/access-policy.js';

/** The page shows at most this much of a log; the download has it all. */
export const LOG_PREVIEW_BYTES = 512 * 1024;

export const jobLogRoutes: UserPages = (web, parts) => {
  // One hub per scope: it shares a poller among every reader of the same attempt.
  const hub = new LiveLogHub(parts.db, {
    onError: (error, at) => web.log.warn({ err: error, ...at }, 'live log poll failed'),
  });
  attachHub(web, hub, parts.logs);
  web.get<LiveLogRequest>(
    '/jobs/:id/log/stream',
    { config: { ...projectRole('viewer', 'job'), ...DATA_ROUTE }, schema: liveLogSchema },
    (request, reply) => sendLiveLog(parts.logs, hub, request, reply),
  );
  registerDownload(web, parts.logs);
};

function registerDownload(web: FastifyInstance, logs: LogStore): void {
  web.get<IdRequest & { Querystring: { attempt?: string } }>(
    '/jobs/:id/log.txt',
    { config: { ...projectRole('viewer', 'job'), ...DATA_ROUTE }, schema: { params: idParams, querystring: logQuery } },
    async (request, reply) => {
      const view = await logs.open(request.params.id, toSelection(request.query.attempt));
      const suffix = view.attempt === 'all' ? 'all-attempts' : `attempt-${view.attempt}`;
      return reply
        .type('text/plain; charset=utf-8')
        .header('content-disposition', `attachment; filename="job-${view.jobId}-${suffix}.log"`)
        .header('cache-control', 'no-store')
        .header('content-length', view.size)
        .send(logs.stream(view));
    },
  );
}

/** The end of an attempt's stored log as plain text, and whether older output was left out. */
export async function readLogPreview(
  logs: LogStore,
  jobId: number,
  attempt: number,
): Promise<{ text: string; cut: boolean }> {
  const view = await logs.open(jobId, attempt);
  const start = Math.max(0, view.size - LOG_PREVIEW_BYTES);
  const chunks = (await logs.stream(view, { start, end: view.size }).toArray()) as Buffer[];
  return { text: stripAnsi(Buffer.concat(chunks).toString('utf8')), cut: start > 0 };
}
