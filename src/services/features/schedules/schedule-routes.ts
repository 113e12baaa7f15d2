/**
 * `/api/v1/projects/:id/schedules`: a project's scheduled pipelines, each a name, a cron line in
 * UTC, a branch and pipeline parameters (schedule-firing.ts fires them). Viewers list them;
 * maintainers set and delete them, as CircleCI leaves schedules to project admins. Every change is
 * audited under the token's name.
 */
import type { FastifyInstance } from 'fastify';
import { idParams, scheduleBody, scheduleParams, type ScheduleRequest } from '../../../api/requests.js';
import { itemsOf, scheduleResponse } from '../../../api/responses.js';
import { InvalidInputError } from '../../../shared/errors.js';
import { cronProblem } from '../../../shared/cron-slots.js';
import { projectRole } from '../../http/access-policy.js';
import { tokenActorOf } from '../../http/token-auth.js';
import type { ProjectStore } from '../../stores/projects/project-store.js';
import type { ScheduleStore } from '../../stores/schedules/schedule-store.js';

export interface ScheduleRouteDeps {
  readonly schedules: ScheduleStore;
  readonly projects: Pick<ProjectStore, 'get'>;
}

type Named = { Params: { id: number; name: string } };

export function registerScheduleRoutes(app: FastifyInstance, deps: ScheduleRouteDeps): void {
  const tags = ['schedules'];
  app.get<{ Params: { id: number } }>(
    '/api/v1/projects/:id/schedules',
    {
      config: projectRole('viewer', 'project'),
      schema: {
        tags,
        summary: "A project's schedules",
        params: idParams,
        response: { 200: itemsOf(scheduleResponse) },
      },
    },
    async (request) => {
      await deps.projects.get(request.params.id);
      return { items: await deps.schedules.list(request.params.id) };
    },
  );
  app.put<Named & { Body: ScheduleRequest }>(
    '/api/v1/projects/:id/schedules/:name',
    {
      config: projectRole('maintainer', 'project'),
      schema: {
        tags,
        summary: 'Create or change a schedule',
        description:
          'It fires at each slot of `cron` (UTC) from now on, a pipeline on `branch` with `parameters`; after downtime, once for the latest missed slot. A changed schedule keeps the slots it fired.',
        params: scheduleParams,
        body: scheduleBody,
        response: { 200: scheduleResponse },
      },
    },
    async (request) => {
      const { cron, branch, parameters } = request.body;
      const problem = cronProblem(cron);
      if (problem !== undefined)
        throw new InvalidInputError('request body', [
          { input: 'cron', message: problem, hint: 'e.g. "0 3 * * *" for 03:00 UTC every day' },
        ]);
      const project = await deps.projects.get(request.params.id);
      return deps.schedules.set(
        project.id,
        request.params.name,
        { cron: cron.trim(), branch: branch ?? project.defaultBranch, parameters: parameters ?? {} },
        tokenActorOf(request),
      );
    },
  );
  app.delete<Named>(
    '/api/v1/projects/:id/schedules/:name',
    {
      config: projectRole('maintainer', 'project'),
      schema: { tags, summary: 'Delete a schedule', params: scheduleParams },
    },
    async (request, reply) => {
      await deps.schedules.remove(request.params.id, request.params.name, tokenActorOf(request));
      return reply.code(204).send();
    },
  );
}
