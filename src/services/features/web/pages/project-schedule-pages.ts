/**
 * A project's schedules page: every schedule with its cron line (UTC), branch, parameters and
 * last slot fired, for viewers; a form that adds or changes a schedule, and removal, for
 * maintainers. Changes go to the same store calls as the API's schedule routes, audited under the
 * signed-in account.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { scheduleParams } from '../../../../api/requests.js';
import { InvalidInputError, type InputProblem } from '../../../../shared/errors.js';
import { cronProblem } from '../../../../shared/cron-slots.js';
import { projectRole } from '../../../http/access-policy.js';
import { formAction } from '../../../http/form-action.js';
import { sendPage } from '../../../http/web-scope.js';
import type { UserPages } from '../user-ui.js';
import { idParams, postedForm, userActorOf, type IdRequest } from './page-common.js';
import { parameterLines, readParameterLines } from './parameter-lines.js';
import { projectPageModel } from './project-page-model.js';
import { PAGE_ROLES } from './project-tabs.js';

interface ScheduleRequest {
  Params: { id: number; name: string };
}

export const projectSchedulePages: UserPages = (web, parts) => {
  const show = async (request: FastifyRequest, reply: FastifyReply, errors: readonly string[] = []) => {
    const id = (request.params as IdRequest['Params']).id;
    const posted = postedForm(request.method === 'POST' ? request.body : {});
    const schedules = await parts.schedules.list(id);
    return sendPage(
      reply,
      parts,
      'project-schedules',
      await projectPageModel(request, parts, id, 'schedules', 'Schedules', {
        schedules: schedules.map((s) => ({ ...s, parameterText: parameterLines(s.parameters).join(' ') })),
        // After a refusal, the form comes back as it was sent.
        form: {
          name: posted.text('name'),
          cron: posted.text('cron'),
          branch: posted.text('branch'),
          parameters: posted.raw('parameters'),
        },
        errors,
      }),
    );
  };

  web.get<IdRequest>(
    '/projects/:id/schedules',
    { config: projectRole(PAGE_ROLES.schedules, 'project'), schema: { params: idParams } },
    (request, reply) => show(request, reply),
  );

  web.post<IdRequest>(
    '/projects/:id/schedules',
    { config: projectRole('maintainer', 'project'), schema: { params: idParams } },
    formAction<IdRequest>(show, async (request) => {
      const posted = postedForm(request.body);
      const problems: InputProblem[] = [];
      const name = posted.text('name');
      if (!scheduleParams.shape.name.safeParse(name).success)
        problems.push({
          input: 'Name',
          message: 'up to 100 letters, digits, spaces, _, . or -, starting with a letter or digit',
        });
      const cron = posted.text('cron');
      const badCron = cronProblem(cron);
      if (badCron !== undefined) problems.push({ input: 'Cron (UTC)', message: badCron });
      const { parameters, problems: badParameters } = readParameterLines(posted.raw('parameters'));
      problems.push(...badParameters);
      if (problems.length > 0) throw new InvalidInputError('the schedule form', problems);
      const project = await parts.projects.get(request.params.id);
      await parts.schedules.set(
        project.id,
        name,
        { cron, branch: posted.text('branch') || project.defaultBranch, parameters },
        userActorOf(request),
      );
      return `/projects/${project.id}/schedules`;
    }),
  );

  web.post<ScheduleRequest>(
    '/projects/:id/schedules/:name/remove',
    { config: projectRole('maintainer', 'project'), schema: { params: scheduleParams } },
    formAction<ScheduleRequest>(show, async (request) => {
      await parts.schedules.remove(request.params.id, request.params.name, userActorOf(request));
      return `/projects/${request.params.id}/schedules`;
    }),
  );
};
