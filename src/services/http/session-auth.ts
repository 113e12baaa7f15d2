/**
 * Who is signed in, for the pages of one listener: the session cookie of that listener's scope
 * (`gyre_session` on the user port, `gyre_admin` on the admin port), and the CSRF check every
 * form post passes. Forms posted before there is a session (sign-in, sign-up) carry the value of
 * a `gyre_csrf` cookie instead: a cross-site page can post a form but cannot read that cookie.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Session, SessionScope, SessionStore } from '../stores/accounts/session-store.js';
import type { User, UserStore } from '../stores/accounts/user-store.js';
import { AuthError } from './error-shape.js';

export interface SignedIn {
  readonly session: Session;
  /** Undefined for the admin console's built-in administrator. */
  readonly user: User | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    signedIn?: SignedIn;
    /** Set on every request to a listener's pages, signed in or not. */
    sessionScope?: SessionScope;
  }
}

export const COOKIE_OF: Readonly<Record<SessionScope, string>> = { user: 'gyre_session', admin: 'gyre_admin' };
export const PRE_SESSION_CSRF_COOKIE = 'gyre_csrf';

export interface SessionAuthDeps {
  readonly sessions: SessionStore;
  readonly users: UserStore;
  /** Cookies get `Secure` when users reach Gyre over HTTPS. */
  readonly secureCookies: boolean;
}

export function registerSessionAuth(app: FastifyInstance, scope: SessionScope, deps: SessionAuthDeps): void {
  app.addHook('onRequest', async (request) => {
    request.sessionScope = scope;
    const cookie = request.cookies[COOKIE_OF[scope]];
    if (!cookie) return;
    const session = await deps.sessions.find(cookie, scope);
    if (!session) return;
    const user = session.userId === null ? undefined : await deps.users.get(session.userId);
    if (session.userId !== null && !user) return;
    request.signedIn = { session, user };
  });
}

export function cookieOptions(secure: boolean, maxAgeSeconds?: number) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'lax' as const,
    secure,
    ...(maxAgeSeconds !== undefined && { maxAge: maxAgeSeconds }),
  };
}

/** The token a form on this page must carry: the session's, or a fresh pre-session one set as a cookie. */
export function csrfTokenFor(request: FastifyRequest, reply: FastifyReply, secure: boolean): string {
  if (request.signedIn) return request.signedIn.session.csrfToken;
  const existing = request.cookies[PRE_SESSION_CSRF_COOKIE];
  if (existing) return existing;
  const token = randomBytes(24).toString('base64url');
  void reply.setCookie(PRE_SESSION_CSRF_COOKIE, token, cookieOptions(secure));
  return token;
}

/** Refuses a form post without the right token (403): the post did not come from Gyre's own page. */
export function checkCsrf(request: FastifyRequest): void {
  const sent = (request.body as { _csrf?: unknown } | undefined)?._csrf;
  const expected = request.signedIn?.session.csrfToken ?? request.cookies[PRE_SESSION_CSRF_COOKIE];
  if (
    typeof sent !== 'string' ||
    !expected ||
    sent.length !== expected.length ||
    !timingSafeEqual(Buffer.from(sent), Buffer.from(expected))
  ) {
    throw new AuthError(403, 'the form is missing its security token or it has expired; reload the page and try again');
  }
}
