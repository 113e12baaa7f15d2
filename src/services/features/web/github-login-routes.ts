/**
 * `/auth/github/start` and the OAuth callback `/auth/github` on the user port. Both do nothing but
 * explain themselves until an administrator has set the GitHub app in the admin console.
 */
import type { FastifyInstance } from 'fastify';
import {
  authorizeRedirect,
  identifyGitHubUser,
  OAUTH_STATE_COOKIE,
  OAUTH_STATE_TTL_SECONDS,
  stateMatches,
  type GitHubAppConfig,
} from './github-oauth.js';
import { SESSION_TTL_MS } from '../../stores/accounts/session-store.js';
import type { UserStore } from '../../stores/accounts/user-store.js';
import type { GitHubGrants } from '../../stores/accounts/github-grants.js';
import { ExitCode, GyreError } from '../../../shared/errors.js';
import { COOKIE_OF, cookieOptions } from '../../http/session-auth.js';
import type { WebDeps } from '../../http/web-scope.js';
import { safeNext } from '../../http/safe-next.js';
import { publicRoute } from '../../http/access-policy.js';

const GITHUB_SIGN_IN = publicRoute(
  "GitHub's OAuth flow, guarded by its state cookie; accounts only while sign-up is open",
);

export interface GitHubLoginDeps extends WebDeps {
  readonly users: UserStore;
  /** Base URL of the web UI, for the callback URL GitHub sends the browser back to. */
  readonly publicUrl: string;
  /** The GitHub app, or undefined while none is set. */
  githubApp(): Promise<GitHubAppConfig | undefined>;
  /** Keeps the user's token for roles that follow GitHub. */
  readonly githubGrants: Pick<GitHubGrants, 'saveToken'>;
  /** Whether a GitHub user without an account may make one by signing in. */
  readonly runtimeSettings: { signupOpen(): Promise<boolean> };
}

export function registerGitHubLogin(web: FastifyInstance, deps: GitHubLoginDeps): void {
  const callbackUrl = `${deps.publicUrl}/auth/github`;
  const configured = async () => {
    const config = await deps.githubApp();
    if (!config)
      throw new GyreError(
        'GitHub sign-in is not set up; an administrator can set the GitHub app in the admin console (Settings)',
        ExitCode.invalidInput,
      );
    return config;
  };

  web.get<{ Querystring: { next?: string } }>(
    '/auth/github/start',
    { config: GITHUB_SIGN_IN },
    async (request, reply) => {
      const { url, state } = authorizeRedirect(await configured(), callbackUrl);
      const next = safeNext(request.query.next);
      return reply
        .setCookie(
          OAUTH_STATE_COOKIE,
          `${state}.${Buffer.from(next).toString('base64url')}`,
          cookieOptions(deps.secureCookies, OAUTH_STATE_TTL_SECONDS),
        )
        .redirect(url);
    },
  );

  web.get<{ Querystring: { code?: string; state?: string; error?: string; error_description?: string } }>(
    '/auth/github',
    { config: GITHUB_SIGN_IN },
    async (request, reply) => {
      if (request.query.error)
        throw new GyreError(
          `GitHub did not sign you in: ${request.query.error_description ?? request.query.error}`,
          ExitCode.invalidInput,
        );
      const [state, next] = (request.cookies[OAUTH_STATE_COOKIE] ?? '').split('.');
      if (!stateMatches(state, request.query.state) || typeof request.query.code !== 'string')
        throw new GyreError(
          'this GitHub sign-in did not start here or took too long; start again from the sign-in page',
          ExitCode.invalidInput,
        );
      const identity = await identifyGitHubUser(await configured(), request.query.code, callbackUrl);
      const user = await deps.users.upsertGitHub(identity.id, identity.login, await deps.runtimeSettings.signupOpen());
      request.log.info({ login: user.login, githubId: identity.id, admin: user.isAdmin }, 'signed in with GitHub');
      await deps.githubGrants.saveToken(user.id, identity.token);
      const { cookie } = await deps.sessions.create('user', user.id);
      return reply
        .clearCookie(OAUTH_STATE_COOKIE, { path: '/' })
        .setCookie(COOKIE_OF.user, cookie, cookieOptions(deps.secureCookies, SESSION_TTL_MS / 1000))
        .redirect(next ? Buffer.from(next, 'base64url').toString() : '/');
    },
  );
}
