/**
 * What every page of the admin console shares (its guard is the ADMIN_ONLY route policy): its navigation, the
 * actor named in the audit log, and the page model the layout expects.
 */
import type { FastifyRequest, RouteGenericInterface } from 'fastify';
import { formAction, type ShowPage } from '../../http/form-action.js';
import { BUILT_IN_ADMIN } from './admin-login-policy.js';

const NAV = [
  { href: '/fleet', label: 'Fleet' },
  { href: '/queue', label: 'Queue' },
  { href: '/projects', label: 'Projects' },
  { href: '/accounts', label: 'Accounts' },
  { href: '/contexts', label: 'Contexts' },
  { href: '/orbs', label: 'Orbs' },
  { href: '/settings', label: 'Settings' },
  { href: '/backups', label: 'Backups' },
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

/**
 * A console form's handler (see formAction): on success the browser goes back to `back`; a
 * refusal is listed on the page `show` renders.
 */
export function adminAction<R extends RouteGenericInterface>(
  show: ShowPage,
  back: string,
  action: (request: FastifyRequest<R>) => Promise<unknown>,
) {
  return formAction<R>(show, async (request) => {
    await action(request);
    return back;
  });
}
