/**
 * Sign-in, sign-up and sign-out pages, for the user UI and the admin console alike: each listener
 * brings its own policy (who may sign in, whether accounts can be made there). Wrong passwords are
 * rate limited per login and per address; a form without its CSRF token is refused.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LoginLimiter } from '../../http/login-limiter.js';
import type { SessionScope } from '../../stores/accounts/session-store.js';
import { SESSION_TTL_MS } from '../../stores/accounts/session-store.js';
import { SIGNUP_CLOSED, type UserStore } from '../../stores/accounts/user-store.js';
import { checkPassword } from '../../core/security/passwords.js';
import { GyreError, InvalidInputError } from '../../../shared/errors.js';
import { describeError } from '../../http/error-shape.js';
import { checkCsrf, COOKIE_OF, cookieOptions, csrfTokenFor } from '../../http/session-auth.js';
import { sendPage, type WebDeps } from '../../http/web-scope.js';
import { safeNext } from '../../http/safe-next.js';
import { publicRoute } from '../../http/access-policy.js';

const SIGN_IN = publicRoute('whoever is not signed in yet signs in here; wrong passwords are rate limited');
const SIGN_UP = publicRoute('refused while sign-up is closed, which it is by default');
const SIGN_OUT = publicRoute('ends only the session its own cookie names, and needs its CSRF token');

/** Who may sign in on a listener. */
export interface LoginPolicy {
  readonly scope: SessionScope;
  /** Shown on the page, e.g. "Gyre" or "Gyre admin console". */
  readonly title: string;
  /** The account to sign in, `null` for a built-in account without a user row, or why not. */
  authenticate(
    login: string,
    password: string,
  ): Promise<{ readonly userId: number | null } | { readonly refused: string }>;
  /** Whether people may make their own accounts right now; absent where there is no sign-up at all (the admin console). */
  readonly signupOpen?: () => Promise<boolean>;
  /** Whether to offer "Sign in with GitHub" (once the GitHub app is set). @default never */
  readonly offersGitHub?: () => Promise<boolean>;
}

export interface LoginDeps extends WebDeps {
  readonly users: UserStore;
  readonly limiter: LoginLimiter;
}

interface LoginBody {
  login?: string;
  password?: string;
  next?: string;
  _csrf?: string;
}

/** The policy of the user UI: any account with a password; sign-up as the admin console sets it. */
export function userLoginPolicy(
  users: UserStore,
  githubApp: () => Promise<unknown>,
  signupOpen: () => Promise<boolean>,
): LoginPolicy {
  return {
    scope: 'user',
    title: 'Gyre',
    signupOpen,
    offersGitHub: async () => (await githubApp()) !== undefined,
    authenticate: async (login, password) => {
      const found = await users.withPassword(login);
      // checkPassword first: it spends a verification's time on an unknown login too.
      if (!(await checkPassword(password, found?.passwordHash)) || !found)
        return { refused: 'wrong login or password' };
      return { userId: found.user.id };
    },
  };
}

export function registerLoginPages(web: FastifyInstance, policy: LoginPolicy, deps: LoginDeps): void {
  const form = async (request: FastifyRequest, reply: FastifyReply, extra: object = {}) =>
    sendPage(reply, deps, 'login', {
      title: `Sign in to ${policy.title}`,
      heading: policy.title,
      csrf: csrfTokenFor(request, reply, deps.secureCookies),
      next: safeNext((request.query as { next?: string }).next ?? (request.body as LoginBody | undefined)?.next),
      ...(await signupState(policy)),
      githubLogin: (await policy.offersGitHub?.()) ?? false,
      login: '',
      error: null,
      signedIn: undefined,
      ...extra,
    });

  web.get('/login', { config: SIGN_IN }, (request, reply) => form(request, reply));

  web.post<{ Body: LoginBody }>('/login', { config: SIGN_IN }, async (request, reply) => {
    checkCsrf(request);
    const login = String(request.body.login ?? '').trim();
    const address = request.ip;
    const attempt = { listener: policy.scope, login, address };
    if (!deps.limiter.allows(attempt)) {
      const wait = deps.limiter.retryAfterSeconds(attempt);
      request.log.warn({ login, address, scope: policy.scope }, 'sign-in throttled');
      return form(request, reply.code(429).header('retry-after', String(wait)), {
        login,
        error: `Too many wrong passwords. Wait ${wait} seconds and try again.`,
      });
    }
    const outcome = await policy.authenticate(login, String(request.body.password ?? ''));
    if ('refused' in outcome) {
      deps.limiter.recordFailure(attempt);
      request.log.warn({ login, address, scope: policy.scope }, 'sign-in refused');
      return form(request, reply.code(401), { login, error: `Could not sign in: ${outcome.refused}.` });
    }
    return startSession(reply, deps, policy.scope, outcome.userId, safeNext(request.body.next));
  });

  const signupOpen = policy.signupOpen;
  if (signupOpen) {
    const page = (
      request: FastifyRequest,
      reply: FastifyReply,
      state: SignupState,
      login: string,
      errors: readonly string[],
    ) =>
      sendPage(reply, deps, 'signup', {
        title: 'Create an account',
        csrf: csrfTokenFor(request, reply, deps.secureCookies),
        ...state,
        closedMessage: SIGNUP_CLOSED,
        login,
        errors,
        signedIn: undefined,
      });
    web.get('/signup', { config: SIGN_UP }, async (request, reply) => {
      const state = await signupState(policy);
      return page(request, state.signup ? reply : reply.code(403), state, '', []);
    });
    web.post<{ Body: LoginBody }>('/signup', { config: SIGN_UP }, async (request, reply) => {
      checkCsrf(request);
      const login = String(request.body.login ?? '').trim();
      try {
        const user = await deps.users.createLocal(login, String(request.body.password ?? ''), {
          by: 'self',
          signupOpen: await signupOpen(),
        });
        request.log.info({ login: user.login, admin: user.isAdmin }, 'account created');
        return await startSession(reply, deps, 'user', user.id, '/');
      } catch (error) {
        if (!(error instanceof GyreError)) throw error;
        const errors =
          error instanceof InvalidInputError ? error.problems.map((p) => `${p.input} ${p.message}`) : [error.message];
        return page(request, reply.code(describeError(error)[0]), await signupState(policy), login, errors);
      }
    });
  }

  web.post('/logout', { config: SIGN_OUT }, async (request, reply) => {
    checkCsrf(request);
    const cookie = request.cookies[COOKIE_OF[policy.scope]];
    if (cookie) await deps.sessions.end(cookie);
    return reply.clearCookie(COOKIE_OF[policy.scope], { path: '/' }).redirect('/login');
  });
}

/** What the sign-in and sign-up pages say about making an account. */
interface SignupState {
  readonly signup: boolean;
}

async function signupState(policy: LoginPolicy): Promise<SignupState> {
  return { signup: (await policy.signupOpen?.()) ?? false };
}

async function startSession(
  reply: FastifyReply,
  deps: LoginDeps,
  scope: SessionScope,
  userId: number | null,
  next: string,
): Promise<FastifyReply> {
  const { cookie } = await deps.sessions.create(scope, userId);
  return reply
    .setCookie(COOKIE_OF[scope], cookie, cookieOptions(deps.secureCookies, SESSION_TTL_MS / 1000))
    .redirect(next);
}
