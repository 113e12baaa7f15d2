/**
 * Who may call each route, declared on the route itself (`config: SIGNED_IN`, ...) and enforced
 * here, once, for every listener. A route without a declared policy cannot be registered: the
 * services app refuses to start, and the route-policy test names it.
 *
 * Order of answers: not signed in → 401 (or, for a page a browser asks for, the sign-in page);
 * a project that does not exist or that the caller may not see → 404, the same answer for both, so
 * that nobody learns which private projects exist; a role too small for the route → 403 naming
 * the role needed. All of it before the body is read or validated.
 */
import type { FastifyReply, FastifyRequest, FastifyInstance } from 'fastify';
import { InvalidInputError, NotFoundError } from '../../shared/errors.js';
import { AuthError } from './error-shape.js';
import {
  allows,
  type Caller,
  type ProjectLocator,
  type ProjectRole,
  type ProjectRoles,
} from '../core/access/project-roles.js';

export type { Caller, ProjectLocator, ProjectRole, ProjectRoles } from '../core/access/project-roles.js';

export type RoutePolicy =
  /** Anyone, signed in or not; `why` says why that is safe (e.g. "the body's signature is checked"). */
  | { readonly access: 'public'; readonly why: string }
  /** Builders: the route checks a builder credential or the join secret itself. */
  | { readonly access: 'builder' }
  /** Any signed-in account or API token; what it lists is limited to what the caller may see. */
  | { readonly access: 'signed-in' }
  /** Installation administrators, and tokens made on the services box. */
  | { readonly access: 'admin' }
  /** At least `role` in the project that the route's `:id` leads to; administrators have every role. */
  | { readonly access: 'project'; readonly role: ProjectRole; readonly of: ProjectLocator };

declare module 'fastify' {
  interface FastifyContextConfig {
    policy?: RoutePolicy;
    /** A page-scope route that answers scripts (JSON, a log stream), not people: strangers get 401, not the sign-in page. */
    data?: boolean;
  }
  interface FastifyRequest {
    /**
     * On a project route that let the caller through: asks again whether the caller still has the
     * role, for answers that last (a log stream) and must end when a membership is withdrawn.
     */
    stillAllowed?: () => Promise<boolean>;
  }
}

/** Route config of a page-scope route that scripts call: `config: { ...projectRole(...), ...DATA_ROUTE }`. */
export const DATA_ROUTE = { data: true } as const;

export const publicRoute = (why: string) => ({ policy: { access: 'public', why } }) as const;
export const BUILDER_ROUTE = { policy: { access: 'builder' } } as const;
export const SIGNED_IN = { policy: { access: 'signed-in' } } as const;
export const ADMIN_ONLY = { policy: { access: 'admin' } } as const;
export const projectRole = (role: ProjectRole, of: ProjectLocator) =>
  ({ policy: { access: 'project', role, of } }) as const;

/** The caller of a request, from the API token or the session that the listener's scope read. */
export function callerOf(request: FastifyRequest): Caller | undefined {
  const token = request.identity;
  if (token) return { userId: token.userId, admin: token.admin, name: `the API token "${token.name}"` };
  const signedIn = request.signedIn;
  if (!signedIn) return undefined;
  const user = signedIn.user;
  return user
    ? { userId: user.id, admin: user.isAdmin, name: user.login }
    : { userId: null, admin: true, name: 'admin' };
}

/** The caller of a route whose policy lets only signed-in callers through. */
export function signedInCaller(request: FastifyRequest): Caller {
  const caller = callerOf(request);
  if (!caller) throw new AuthError(401, 'sign in first');
  return caller;
}

/** A route as the policy saw it registered. */
export interface PolicedRoute {
  readonly method: string;
  readonly url: string;
  readonly policy: RoutePolicy;
  readonly data: boolean;
}

/**
 * Registers the check on every route of `app` registered after this call, and lists each route
 * in `table` (HEAD routes that Fastify adds for GETs included); routes without a policy are refused.
 */
export function registerAccessPolicy(app: FastifyInstance, roles: ProjectRoles, table: PolicedRoute[] = []): void {
  app.addHook('onRoute', (route) => {
    const policy = route.config?.policy;
    for (const method of [route.method].flat())
      if (policy) table.push({ method, url: route.url, policy, data: route.config?.data === true });
    if (!policy)
      throw new Error(
        `${String(route.method)} ${route.url} declares no access policy: give it config: SIGNED_IN, ADMIN_ONLY, projectRole(...), ... (src/services/http/access-policy.ts)`,
      );
    if (policy.access === 'public' || policy.access === 'builder') return;
    const existing = route.onRequest === undefined ? [] : [route.onRequest].flat();
    route.onRequest = [...existing, enforce(policy, roles)];
  });
}

function enforce(policy: Exclude<RoutePolicy, { access: 'public' | 'builder' }>, roles: ProjectRoles) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const caller = callerOf(request);
    if (!caller) return refuseStranger(request, reply);
    if (policy.access === 'signed-in') return undefined;
    if (policy.access === 'admin') {
      if (caller.admin) return undefined;
      throw new AuthError(
        403,
        request.identity
          ? `${caller.name} belongs to an account that is not an administrator; use a token of an administrator account, or one made with \`gyre tokens create\` on the services box`
          : `${caller.name} is not an administrator (any more); this is for administrators of this Gyre`,
      );
    }
    const id = idOf(request);
    const role = await roles.roleIn(caller, policy.of, id);
    if (role === undefined) throw new NotFoundError(`${policy.of} ${id}`);
    if (!allows(role, policy.role))
      throw new AuthError(
        403,
        `${caller.name} has the role ${role} in this project; this needs ${policy.role} or more (ask a maintainer of the project)`,
      );
    request.stillAllowed = async () => {
      const now = await roles.roleIn(caller, policy.of, id);
      return now !== undefined && allows(now, policy.role);
    };
    return undefined;
  };
}

/**
 * Not signed in: a page goes to the sign-in page and back; anything else (the API, a form post, a
 * route that answers scripts) gets 401, which a script can act on.
 */
function refuseStranger(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const page = request.method === 'GET' && request.sessionScope !== undefined && !request.routeOptions.config.data;
  if (page) return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`);
  throw new AuthError(401, 'sign in first: with a session in the web UI, or `Authorization: Bearer gyre_pat_...`');
}

function idOf(request: FastifyRequest): number {
  const raw = (request.params as { id?: unknown }).id;
  const id = Number(raw);
  if (!Number.isSafeInteger(id) || id <= 0)
    throw new InvalidInputError('the address', [{ input: 'id', message: 'must be a positive whole number' }]);
  return id;
}
