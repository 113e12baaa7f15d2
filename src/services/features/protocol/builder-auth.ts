/**
 * Authentication of builder protocol calls: `Authorization: Builder <id>.<credential>`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AuthError } from '../../http/error-shape.js';
import type { Builder } from '../../stores/builders/builder-rows.js';
import { revokedError, type BuilderStore } from '../../stores/builders/builder-store.js';

declare module 'fastify' {
  interface FastifyRequest {
    builder?: Builder;
  }
}

export function registerBuilderAuth(app: FastifyInstance, builders: BuilderStore): void {
  app.addHook('onRequest', async (request) => {
    request.builder = await identifyBuilder(request, builders);
  });
}

async function identifyBuilder(request: FastifyRequest, builders: BuilderStore): Promise<Builder> {
  const match = /^Builder (\d+)\.([A-Za-z0-9_-]+)$/.exec(request.headers.authorization ?? '');
  if (!match) throw new AuthError(401, 'send `Authorization: Builder <id>.<credential>` as returned by /register');
  const [id, credential] = [Number(match[1]), match[2]!];
  const builder = await builders.authenticate(id, credential);
  if (builder) return builder;
  const revoked = await builders.revokedName(id, credential);
  throw revoked === undefined
    ? new AuthError(401, 'the builder credential is unknown; join again with the join secret')
    : revokedError(revoked);
}

/** The authenticated builder of a request that passed {@link registerBuilderAuth}. */
export function builderOf(request: FastifyRequest): Builder {
  if (!request.builder) throw new AuthError(401, 'not authenticated as a builder');
  return request.builder;
}
