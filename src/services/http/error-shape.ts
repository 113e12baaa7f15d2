/**
 * The one error shape of the HTTP API, and the one place that maps errors to status codes:
 * `{ "error": { "code", "message", "details"? } }`. Unknown errors are logged with their stack
 * and answered with a 500 that reveals nothing internal.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { loggedUrl } from './request-log.js';
import {
  ConflictError,
  ExitCode,
  ForbiddenError,
  TooLargeError,
  GyreError,
  InvalidInputError,
  NotFoundError,
} from '../../shared/errors.js';

export interface ApiErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details?: readonly unknown[] };
}

/** Thrown by route handlers for 401 and 403. */
export class AuthError extends Error {
  constructor(
    readonly statusCode: 401 | 403,
    message: string,
  ) {
    super(message);
  }
}

export function registerErrorShape(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    const [status, body] = describeError(error);
    if (status >= 500) request.log.error({ err: error, url: loggedUrl(request) }, 'request failed');
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: { code: 'not_found', message: `no route for ${request.method} ${request.url.split('?')[0]}` },
    } satisfies ApiErrorBody),
  );
}

export function describeError(error: FastifyError | Error): [number, ApiErrorBody] {
  if (error instanceof InvalidInputError)
    return [400, { error: { code: 'invalid_input', message: error.message, details: error.problems } }];
  if (error instanceof NotFoundError) return [404, { error: { code: 'not_found', message: error.message } }];
  if (error instanceof ConflictError) return [409, { error: { code: error.code, message: error.message } }];
  if (error instanceof ForbiddenError) return [403, { error: { code: error.code, message: error.message } }];
  if (error instanceof TooLargeError) return [413, { error: { code: 'too_large', message: error.message } }];
  if (error instanceof AuthError)
    return [
      error.statusCode,
      { error: { code: error.statusCode === 401 ? 'unauthenticated' : 'forbidden', message: error.message } },
    ];
  if (error instanceof GyreError) return describeGyreError(error);
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const details = fastifyError.validation.map((v) => ({
      // A problem with the whole body (an unknown field, say) has the path `/`: it names the body itself.
      input: `${fastifyError.validationContext ?? 'body'}${v.instancePath === '/' ? '' : v.instancePath}`,
      message: v.message ?? 'is invalid',
    }));
    return [
      400,
      {
        error: {
          code: 'invalid_input',
          message: `invalid request ${fastifyError.validationContext ?? 'body'}: ${fastifyError.message}`,
          details,
        },
      },
    ];
  }
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return [
      fastifyError.statusCode,
      { error: { code: fastifyError.code?.toLowerCase() ?? 'bad_request', message: fastifyError.message } },
    ];
  }
  return [500, { error: { code: 'internal', message: 'internal error; the services log has the details' } }];
}

/** Other expected failures by meaning: bad input, or something Gyre depends on (git, a host) failing. */
function describeGyreError(error: GyreError): [number, ApiErrorBody] {
  switch (error.exitCode) {
    case ExitCode.invalidInput:
      return [400, { error: { code: 'invalid_input', message: error.message } }];
    case ExitCode.unavailable:
      return [502, { error: { code: 'upstream_unavailable', message: error.message } }];
    case ExitCode.timeout:
      return [504, { error: { code: 'upstream_timeout', message: error.message } }];
    default:
      return [500, { error: { code: 'internal', message: error.message } }];
  }
}
