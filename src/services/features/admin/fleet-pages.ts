/**
 * The fleet and queue pages: every builder with its state, free room for jobs, jobs and version, with drain,
 * cancel-drain and revoke; and the queue with the reason each job waits. Builder changes are
 * audited by BuilderStore under the administrator's name.
 */
import { idParams } from '../../../api/requests.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidInputError } from '../../../shared/errors.js';
import { formatDuration } from '../../../shared/durations.js';
import { readQueue } from '../../stores/jobs/queue-view.js';
import { sendPage } from '../../http/web-scope.js';
import type { AdminDeps } from './admin-deps.js';
import { actorOf, adminAction, adminPageModel } from './admin-page.js';
import { readRunningJobs } from '../../stores/jobs/jobs-by-builder.js';
import { parseDrainDeadline } from '../../core/settings/settings-input.js';
import { ADMIN_ONLY, signedInCaller } from '../../http/access-policy.js';

const DEFAULT_DRAIN_DEADLINE = '30m';

interface IdRequest {
  Params: { id: number };
  Body: { deadline?: string; _csrf?: string };
}

export function registerFleetPages(web: FastifyInstance, deps: AdminDeps): void {
  const showFleet = async (request: FastifyRequest, reply: FastifyReply, errors: readonly string[] = []) => {
    const [builders, running] = [await deps.builders.list(), await readRunningJobs(deps.db)];
    const rows = builders.map((builder) => ({
      ...builder,
      jobs: running.get(builder.id) ?? [],
      canDrain: ['active', 'draining', 'lost'].includes(builder.state),
      canCancelDrain: builder.state === 'draining' || builder.state === 'drained',
      canRevoke: builder.state !== 'revoked',
      offersDocker: builder.state !== 'revoked' && builder.dockerInBuilds !== 'off',
    }));
    return sendPage(reply, deps, 'admin-fleet', {
      ...adminPageModel(request, 'Fleet'),
      builders: rows,
      // The risk is said where an administrator sees the feature on (docs/design/docker-in-builds.md).
      dockerInBuilds: rows.some((b) => b.offersDocker),
      errors,
      defaultDeadline: DEFAULT_DRAIN_DEADLINE,
    });
  };

  const act = (action: (request: FastifyRequest<IdRequest>) => Promise<unknown>) =>
    adminAction<IdRequest>(showFleet, '/fleet', action);

  web.get('/fleet', { config: ADMIN_ONLY }, (request, reply) => showFleet(request, reply));

  web.post<IdRequest>(
    '/fleet/:id/drain',
    { config: ADMIN_ONLY, schema: { params: idParams } },
    act(async (request) => {
      const deadline = parseDrainDeadline(request.body.deadline ?? DEFAULT_DRAIN_DEADLINE);
      if (!deadline.ok) throw new InvalidInputError('the drain', deadline.problems);
      const builder = await deps.builders.drain(request.params.id, deadline.value, actorOf(request));
      request.log.info(
        { builder: builder.name, deadline: formatDuration(deadline.value), actor: actorOf(request) },
        'builder drain started',
      );
    }),
  );

  web.post<IdRequest>(
    '/fleet/:id/cancel-drain',
    { config: ADMIN_ONLY, schema: { params: idParams } },
    act((request) => deps.builders.cancelDrain(request.params.id, actorOf(request))),
  );

  web.post<IdRequest>(
    '/fleet/:id/revoke',
    { config: ADMIN_ONLY, schema: { params: idParams } },
    act(async (request) => {
      const builder = await deps.builders.revoke(request.params.id, actorOf(request));
      const requeued = await deps.jobs.requeue(
        { kind: 'of-builder', builderId: builder.id },
        `builder ${builder.name} was revoked`,
        false,
      );
      request.log.info({ builder: builder.name, requeued, actor: actorOf(request) }, 'builder revoked');
    }),
  );

  web.get('/queue', { config: ADMIN_ONLY }, async (request, reply) => {
    const queue = await readQueue(deps.db, await deps.builders.list(), signedInCaller(request));
    return sendPage(reply, deps, 'admin-queue', {
      ...adminPageModel(request, 'Queue'),
      queue,
      shown: queue.items.length,
    });
  });
}
