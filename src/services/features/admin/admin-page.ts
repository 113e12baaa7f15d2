/**
 * What every page of the admin console shares (its guard is the ADMIN_ONLY route policy): its navigation, the
 * actor named in the audit log, and the page model the layout expects.
 */
import type { FastifyReply, FastifyRequest, RouteGenericInterface } from 'fastify';
import { GyreError, InvalidInputError } from '../../../shared/errors.js';
import { describeError } from '../../http/error-shape.js';
import { checkCsrf } from '../../http/session-auth.js';
import { BUILT_IN_ADMIN } from './admin-login-policy.js';

const NAV = [
  { href: '/fleet', label: 'Fleet' },
  { href: '/queue', label: 'Queue' },
  { href: '/accounts', label: 'Accounts' },
  { href: '/contexts', label: 'Contexts' },
  { href: '/settings', label: 'Settings' },
  { href: '/audit', label: 'Audit log' },
];

/** The navigation of the admin console, with the current page marked. */
export function adminNav(request: FastifyRequest): { href: string; label: string; current: boolean }[] {
  const path = request.url.split('?')[0] ?? '/';
  return NAV.map((item) => ({ ...item, current: path.startsWith(item.href) }));
}

/** Who the audit log names: `admin:<login>`, or `admin:admin` for the built-in account. */
export function actorOf(request: FastifyRequest): string {
  return `admin:${request.signedIn?.user?.login ?? BUILT_IN_ADMIN}`;
}

/** The layout's part of a page model, plus the CSRF token the page's forms carry. */
export function adminPageModel(request: FastifyRequest, title: string) {
  return { title, signedIn: request.signedIn, nav: adminNav(request), csrf: request.signedIn?.session.csrfToken ?? '' };
}

/** Renders a console page with refusals listed on it. */
export type ShowPage = (
  request: FastifyRequest,
  reply: FastifyReply,
  errors: readonly string[],
) => Promise<FastifyReply>;

/**
 * A console form's handler: checks the CSRF token, runs `action`, and sends the browser back to
 * `back`. A refusal (bad input, a forbidden or conflicting change) is listed on the page `show`
 * renders, with a status that says which; anything else is a bug and reaches the error handler.
 */
export function adminAction<R extends RouteGenericInterface>(
  show: ShowPage,
  back: string,
  action: (request: FastifyRequest<R>) => Promise<unknown>,
) {
  return async (request: FastifyRequest<R>, reply: FastifyReply): Promise<FastifyReply> => {
    checkCsrf(request);
    try {
      await action(request);
    } catch (error) {
      if (!(error instanceof GyreError)) throw error;
      const errors =
        error instanceof InvalidInputError
          ? error.problems.map((p) => `${p.input}: ${p.message}${p.hint ? ` (${p.hint})` : ''}`)
          : [error.message];
      return show(request, reply.code(describeError(error)[0]), errors);
    }
    return reply.redirect(back, 303);
  };
}
