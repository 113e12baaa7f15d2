/**
 * The user UI on the user port: sign-in, then projects, pipelines, jobs and builders. Pages that
 * show data require a session; the data comes from the same stores the API uses.
 */
import type { GitHubGrants } from '../../stores/accounts/github-grants.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../api/register-api.js';
import type { RuntimeSettings } from '../../stores/settings/runtime-settings.js';
import type { GitHubAppConfig } from './github-oauth.js';
import { registerGitHubLogin } from './github-login-routes.js';
import { registerLoginPages, userLoginPolicy, type LoginDeps } from './login-pages.js';
import { signedInCaller, SIGNED_IN } from '../../http/access-policy.js';
import { registerWebScope, sendPage } from '../../http/web-scope.js';

/** What the user UI serves from: the API's parts, plus sign-in and what administrators set. */
export interface UserUiDeps extends ApiDeps, LoginDeps {
  /** Settings administrators change in the admin console. */
  readonly runtimeSettings: RuntimeSettings;
  /** The GitHub OAuth app for sign-in, once an administrator has set it. */
  githubApp(): Promise<GitHubAppConfig | undefined>;
  /** What GitHub granted accounts that signed in with it. */
  readonly githubGrants: GitHubGrants;
}

/** A group of pages of the user UI; each registers its routes in the user scope. */
export type UserPages = (web: FastifyInstance, parts: UserUiDeps) => void;

/** The navigation of the user UI, with the current page marked. */
export function userNav(request: FastifyRequest): { href: string; label: string; current: boolean }[] {
  const path = request.url.split('?')[0] ?? '/';
  const items = [
    { href: '/', label: 'Projects' },
    { href: '/builders', label: 'Builders' },
    { href: '/tokens', label: 'API tokens' },
    { href: '/ssh-keys', label: 'SSH keys' },
  ];
  return items.map((item) => ({
    ...item,
    current:
      item.href === '/'
        ? path === '/' || path.startsWith('/projects') || path.startsWith('/pipelines') || path.startsWith('/jobs')
        : path.startsWith(item.href),
  }));
}

export function registerUserUi(app: FastifyInstance, deps: UserUiDeps, pages: readonly UserPages[]): void {
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
    web.get('/', { config: SIGNED_IN }, async (request, reply) => {
      const caller = signedInCaller(request);
      await deps.projectAccess.refreshFor(caller);
      const projects = await deps.projects.list(caller, { limit: 500 });
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
