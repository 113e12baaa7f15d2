/**
 * The handler of a page's form, for the user UI and the admin console alike: check the CSRF token,
 * run the action, then send the browser on (POST → redirect → GET, so a reload posts nothing
 * twice). A refusal (bad input, a forbidden or conflicting change) is listed on the page that
 * `show` renders, with the status that says which; anything else is a bug and reaches the error
 * handler.
 */
import type { FastifyReply, FastifyRequest, RouteGenericInterface } from 'fastify';
import { GyreError, InvalidInputError } from '../../shared/errors.js';
import { describeError } from './error-shape.js';
import { checkCsrf } from './session-auth.js';

/** Renders a page with refusals listed on it. */
export type ShowPage = (
  request: FastifyRequest,
  reply: FastifyReply,
  errors: readonly string[],
) => Promise<FastifyReply>;

/** `action` returns where the browser goes next. */
export function formAction<R extends RouteGenericInterface>(
  show: ShowPage,
  action: (request: FastifyRequest<R>) => Promise<string>,
) {
  return async (request: FastifyRequest<R>, reply: FastifyReply): Promise<FastifyReply> => {
    checkCsrf(request);
    let next: string;
    try {
      next = await action(request);
    } catch (error) {
      if (!(error instanceof GyreError)) throw error;
      return show(request, reply.code(describeError(error)[0]), refusalsOf(error));
    }
    return reply.redirect(next, 303);
  };
}

/** The lines a page lists for a refusal: one per bad input, each naming it. */
function refusalsOf(error: GyreError): string[] {
  return error instanceof InvalidInputError
    ? error.problems.map((p) => `${p.input}: ${p.message}${p.hint ? ` (${p.hint})` : ''}`)
    : [error.message];
}
