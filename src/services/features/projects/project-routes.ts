/**
 * `/api/v1/projects`: create, list, get, update and delete projects, and manage their
 * variables. Route schemas validate input (answered with the one error shape) and document
 * the API.
 */
import {
  createdProjectResponse,
  itemsOf,
  memberResponse,
  pageOf,
  projectResponse,
  projectWithWebhookResponse,
  variableResponse,
} from '../../../api/responses.js';
import type { FastifyInstance } from 'fastify';
import {
  createProjectBody,
  idParams,
  memberBody,
  memberParams,
  projectPageQuery,
  updateProjectBody,
  variableBody,
  variableParams,
  type CreateProjectRequest,
  type UpdateProjectRequest,
} from '../../../api/requests.js';
import { projectRole, signedInCaller, SIGNED_IN, type ProjectRole } from '../../http/access-policy.js';
import { paginate } from '../../http/paginate.js';
import { tokenActorOf } from '../../http/token-auth.js';
import type { ProjectAccess } from '../../stores/projects/project-access.js';
import type { Project, ProjectStore } from '../../stores/projects/project-store.js';
import type { HostPolicy } from '../../git/index.js';
import { checkGitUrl } from './check-git-url.js';

/** The URL to paste into GitHub's webhook settings; `project` pins the secret to check. */
export function webhookUrlOf(baseUrl: string, project: Pick<Project, 'id'>): string {
  return `${baseUrl}/webhooks/github?project=${project.id}`;
}

/**
 * @param webhookBaseUrl where GitHub reaches Gyre: the admin console's override, else GYRE_PUBLIC_URL
 * @param hostPolicy which repository hosts a git URL may name
 */
export function registerProjectRoutes(
  app: FastifyInstance,
  projects: ProjectStore,
  access: ProjectAccess,
  webhookBaseUrl: () => Promise<string>,
  hostPolicy: HostPolicy,
): void {
  const withWebhookUrl = async (project: Project) => ({
    ...project,
    webhookUrl: webhookUrlOf(await webhookBaseUrl(), project),
  });
  app.post<{ Body: CreateProjectRequest }>(
    '/api/v1/projects',
    {
      config: SIGNED_IN,
      schema: {
        tags: ['projects'],
        summary: 'Create a project; the answer holds its webhook secret, shown this once',
        body: createProjectBody,
        response: { 201: createdProjectResponse },
      },
    },
    async (request, reply) => {
      await checkGitUrl(hostPolicy, request.body.gitUrl, 'request body');
      const { project, webhookSecret } = await projects.create(
        { ...request.body, defaultBranch: request.body.defaultBranch ?? 'main' },
        signedInCaller(request),
        tokenActorOf(request),
      );
      return reply.code(201).send({ ...(await withWebhookUrl(project)), webhookSecret });
    },
  );

  app.get<{ Querystring: { limit: number; after?: number } }>(
    '/api/v1/projects',
    {
      config: SIGNED_IN,
      schema: {
        tags: ['projects'],
        summary: 'List the projects the caller may see',
        querystring: projectPageQuery,
        response: { 200: pageOf(projectResponse) },
      },
    },
    async (request) => {
      const caller = signedInCaller(request);
      await access.refreshFor(caller);
      return paginate(request.query.limit, (limit) => projects.list(caller, { ...request.query, limit }));
    },
  );

  app.get<{ Params: { id: number } }>(
    '/api/v1/projects/:id',
    {
      config: projectRole('viewer', 'project'),
      schema: {
        tags: ['projects'],
        summary: 'Get a project',
        params: idParams,
        response: { 200: projectWithWebhookResponse },
      },
    },
    async (request) => withWebhookUrl(await projects.get(request.params.id)),
  );

  app.patch<{
    Params: { id: number };
    Body: UpdateProjectRequest;
  }>(
    '/api/v1/projects/:id',
    {
      config: projectRole('maintainer', 'project'),
      schema: {
        tags: ['projects'],
        summary: 'Change a project',
        params: idParams,
        body: updateProjectBody,
        response: { 200: projectResponse },
      },
    },
    async (request) => {
      if (request.body.gitUrl !== undefined) await checkGitUrl(hostPolicy, request.body.gitUrl, 'request body');
      return projects.update(request.params.id, request.body, tokenActorOf(request));
    },
  );

  app.delete<{ Params: { id: number } }>(
    '/api/v1/projects/:id',
    {
      config: projectRole('maintainer', 'project'),
      schema: { tags: ['projects'], summary: 'Delete a project and its pipelines', params: idParams },
    },
    async (request, reply) => {
      await projects.remove(request.params.id, tokenActorOf(request));
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { id: number } }>(
    '/api/v1/projects/:id/variables',
    {
      config: projectRole('maintainer', 'project'),
      schema: {
        tags: ['projects'],
        summary: 'List variable names and the last 4 characters of each value',
        params: idParams,
        response: { 200: itemsOf(variableResponse) },
      },
    },
    async (request) => ({
      items: await projects.listVariables(request.params.id),
    }),
  );

  app.put<{ Params: { id: number; name: string }; Body: { value: string } }>(
    '/api/v1/projects/:id/variables/:name',
    {
      config: projectRole('maintainer', 'project'),
      schema: {
        tags: ['projects'],
        summary: 'Set a variable (encrypted at rest)',
        params: variableParams,
        body: variableBody,
      },
    },
    async (request, reply) => {
      await projects.setVariable(request.params.id, request.params.name, request.body.value, tokenActorOf(request));
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: { id: number; name: string } }>(
    '/api/v1/projects/:id/variables/:name',
    {
      config: projectRole('maintainer', 'project'),
      schema: { tags: ['projects'], summary: 'Remove a variable', params: variableParams },
    },
    async (request, reply) => {
      await projects.removeVariable(request.params.id, request.params.name, tokenActorOf(request));
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { id: number } }>(
    '/api/v1/projects/:id/members',
    {
      config: projectRole('viewer', 'project'),
      schema: {
        tags: ['projects'],
        summary: "List the project's members and their roles",
        params: idParams,
        response: { 200: itemsOf(memberResponse) },
      },
    },
    async (request) => ({ items: await access.members(request.params.id) }),
  );

  app.put<{ Params: { id: number; login: string }; Body: { role: ProjectRole } }>(
    '/api/v1/projects/:id/members/:login',
    {
      config: projectRole('maintainer', 'project'),
      schema: {
        tags: ['projects'],
        summary: 'Add an account to the project with a role, or change its role',
        params: memberParams,
        body: memberBody,
        response: { 200: memberResponse },
      },
    },
    (request) => access.setMember(request.params.id, request.params.login, request.body.role, tokenActorOf(request)),
  );

  app.delete<{ Params: { id: number; login: string } }>(
    '/api/v1/projects/:id/members/:login',
    {
      config: projectRole('maintainer', 'project'),
      schema: { tags: ['projects'], summary: 'Remove a member (not the last maintainer)', params: memberParams },
    },
    async (request, reply) => {
      await access.removeMember(request.params.id, request.params.login, tokenActorOf(request));
      return reply.code(204).send();
    },
  );
}
