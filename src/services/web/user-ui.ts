/**
 * The user UI on the user port: sign-in, then projects, pipelines, jobs and builders. Pages that
 * show data require a session; the data comes from the same stores the API uses.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServiceParts } from '../create-service-parts.js';
import { registerGitHubLogin } from './github-login-routes.js';
import { registerLoginPages, userLoginPolicy } from './login-pages.js';
import { requireSignedIn } from './session-auth.js';
import { registerWebScope, sendPage } from './web-scope.js';

/** A group of pages of the user UI; each registers its routes in the user scope. */
export type UserPages = (web: FastifyInstance, parts: ServiceParts) => void;

/** The navigation of the user UI, with the current page marked. */
export function userNav(request: FastifyRequest): { href: string; label: string; current: boolean }[] {
  const path = request.url.split('?')[0] ?? '/';
  const items = [
    { href: '/', label: 'Projects' },
    { href: '/builders', label: 'Builders' },
    { href: '/tokens', label: 'API tokens' },
  ];
  return items.map((item) => ({
    ...item,
    current:
      item.href === '/'
        ? path === '/' || path.startsWith('/projects') || path.startsWith('/pipelines') || path.startsWith('/jobs')
        : path.startsWith(item.href),
  }));
}

export function registerUserUi(app: FastifyInstance, deps: ServiceParts, pages: readonly UserPages[]): void {
  registerWebScope(app, 'user', deps, (web) => {
    registerLoginPages(
      web,
      userLoginPolicy(
        deps.users,
        () => deps.githubApp(),
        () => deps.runtimeSettings.signupOpen(),
      ),
      deps,
    );
    registerGitHubLogin(web, deps);
    web.get('/', { preHandler: requireSignedIn }, async (request, reply) => {
      const projects = await deps.projects.list({ limit: 500 });
      return sendPage(reply, deps, 'projects', {
        title: 'Projects',
        signedIn: request.signedIn,
        nav: userNav(request),
        projects,
      });
    });
    for (const register of pages) register(web, deps);
  });
}
