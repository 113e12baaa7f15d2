/**
 * The builder protocol's transfer routes (src/protocol/transfer-messages.ts): caches, workspace
 * layers, artifacts and test results stream between a job's builder and the blob store. Each
 * route is a builder route scoped to a live lease of its job (the lease token is checked before
 * a byte of the body is read), and a job reads only its project's caches and its upstream jobs'
 * layers. Sizes are held to the administrator's limits: over one, 413 names it and nothing is kept.
 * With an S3 blob store, caches and workspace layers go from the builder straight to the bucket
 * (`POST /jobs/:id/uploads`, then the PUT route names the upload); artifacts and test results
 * always come through here, since they are split into files or parsed on the way in.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import {
  cacheKeySchema,
  findCacheRequestSchema,
  TRANSFER_CONTENT_TYPE,
  transferQuerySchema,
  uploadedBlobHeadersSchema,
  uploadTargetRequestSchema,
  uploadTargetResponseSchema,
  type FindCacheRequest,
  type TransferQuery,
  type UploadTargetRequest,
} from '../../../../protocol/index.js';
import { NotFoundError, TooLargeError } from '../../../../shared/errors.js';
import type { StoredBlob } from '../../../blobs/blob-store.js';
import type { CacheScope } from '../../../stores/caches/cache-store.js';
import { BUILDER_ROUTE } from '../../../http/access-policy.js';
import { builderOf } from '../builder-auth.js';
import { announcedUpload } from './announced-upload.js';
import { eachFile } from './archive-entries.js';
import { contentTypeOf } from './content-type.js';
import type { TransferDeps } from './transfer-deps.js';

const jobParams = z.strictObject({ id: z.coerce.number().int().positive() });
const cacheParams = z.strictObject({ id: jobParams.shape.id, key: cacheKeySchema });
const layerParams = z.strictObject({ id: jobParams.shape.id, digest: z.string().regex(/^[0-9a-f]{64}$/) });
/** How long a presigned download URL lasts: long enough to start a large download. */
const DOWNLOAD_URL_TTL_S = 600;
/** How long a presigned upload URL lasts: the agent PUTs as soon as it has the answer. */
const UPLOAD_URL_TTL_S = 600;
/** A cache key may render the job's secrets, so logs show the route's `:key`, not the key. */
const CACHE_KEY_ROUTE = { ...BUILDER_ROUTE, unloggedParams: ['key'] } as const;
const TAGS = ['builder protocol'];

interface JobRequest<P = { id: number }> {
  Params: P;
  Querystring: TransferQuery;
  Headers: z.infer<typeof uploadedBlobHeadersSchema>;
}

/** What each kind of direct upload is called in errors, and the limit it is held to. */
const UPLOAD_KINDS = {
  cache: {
    what: 'the cache',
    limit: (deps: TransferDeps): ConfiguredLimit => ({
      bytes: deps.transferLimits.cacheBytes,
      setting: 'GYRE_CACHE_MAX_SIZE',
    }),
  },
  workspace: {
    what: 'the workspace layer',
    limit: (deps: TransferDeps): ConfiguredLimit => ({
      bytes: deps.transferLimits.workspaceLayerBytes,
      setting: 'GYRE_WORKSPACE_MAX_SIZE',
    }),
  },
} as const;

export function registerTransferRoutes(app: FastifyInstance, deps: TransferDeps): void {
  void app.register((scope, _options, done) => {
    // The body stays a stream: the handler checks the lease first, then reads it once.
    scope.addContentTypeParser(TRANSFER_CONTENT_TYPE, (_request, payload, parsed) => parsed(null, payload));
    registerUploadTargetRoute(scope, deps);
    registerCacheRoutes(scope, deps);
    registerWorkspaceRoutes(scope, deps);
    registerArtifactRoutes(scope, deps);
    done();
  });
}

/**
 * The leased job's project and the partition of its caches; a stale lease is refused with 409
 * before anything else happens.
 */
function leasedProject(
  deps: TransferDeps,
  request: FastifyRequest<{ Params: { id: number } }>,
  token: TransferQuery,
): Promise<CacheScope> {
  return deps.jobs.leasedJobProject(builderOf(request).id, request.params.id, token);
}

function registerUploadTargetRoute(app: FastifyInstance, deps: TransferDeps): void {
  app.post<{ Params: { id: number }; Body: UploadTargetRequest }>(
    '/jobs/:id/uploads',
    {
      config: BUILDER_ROUTE,
      schema: {
        tags: TAGS,
        summary: 'Where to upload a cache or workspace layer',
        description:
          'A presigned PUT straight to the blob store (S3), or `url: null`: stream the bytes to the PUT route.',
        params: jobParams,
        body: uploadTargetRequestSchema,
        response: { 200: uploadTargetResponseSchema },
      },
    },
    async (request) => {
      const { kind, digest, size, ...token } = request.body;
      await leasedProject(deps, request, token);
      // Refused before a byte moves: the agent knows the size, having spooled the archive.
      const { what, limit } = UPLOAD_KINDS[kind];
      const { bytes, setting } = limit(deps);
      if (size > bytes) throw new TooLargeError(what, bytes, setting);
      return (await deps.blobs.uploadUrl(digest, size, UPLOAD_URL_TTL_S)) ?? { url: null };
    },
  );
}

function registerCacheRoutes(app: FastifyInstance, deps: TransferDeps): void {
  app.post<{ Params: { id: number }; Body: FindCacheRequest }>(
    '/jobs/:id/caches/find',
    {
      config: BUILDER_ROUTE,
      schema: {
        tags: TAGS,
        summary: "Find the project's cache for keys",
        params: jobParams,
        body: findCacheRequestSchema,
      },
    },
    async (request) => {
      const { keys, ...token } = request.body;
      const found = await deps.caches.find(await leasedProject(deps, request, token), keys);
      if (found === undefined) throw new NotFoundError(`a cache for the keys ${keys.join(', ')}`);
      return { key: found.key, size: found.size };
    },
  );

  app.get<JobRequest<{ id: number; key: string }>>(
    '/jobs/:id/caches/:key',
    {
      config: CACHE_KEY_ROUTE,
      schema: { tags: TAGS, summary: 'Download a cache', params: cacheParams, querystring: transferQuerySchema },
    },
    async (request, reply) => {
      const scope = await leasedProject(deps, request, request.query);
      const found = await deps.caches.find(scope, [request.params.key]);
      if (found?.key !== request.params.key) throw new NotFoundError(`the cache ${request.params.key}`);
      return sendBlob(reply, deps, found.digest);
    },
  );

  app.put<JobRequest<{ id: number; key: string }>>(
    '/jobs/:id/caches/:key',
    {
      config: CACHE_KEY_ROUTE,
      schema: {
        tags: TAGS,
        summary: 'Save a cache (immutable)',
        description: 'The tar.zst as the body, or an empty body and headers naming a direct upload.',
        params: cacheParams,
        querystring: transferQuerySchema,
        headers: uploadedBlobHeadersSchema,
      },
    },
    async (request) => {
      const scope = await leasedProject(deps, request, request.query);
      const blob = await receiveBlob(deps, request, 'cache');
      return { saved: (await deps.caches.save(scope, request.params.key, blob)) === 'saved' };
    },
  );
}

function registerWorkspaceRoutes(app: FastifyInstance, deps: TransferDeps): void {
  app.put<JobRequest>(
    '/jobs/:id/workspace',
    {
      config: BUILDER_ROUTE,
      schema: {
        tags: TAGS,
        summary: "Add the job's workspace layer",
        description: 'The tar.zst as the body, or an empty body and headers naming a direct upload.',
        params: jobParams,
        querystring: transferQuerySchema,
        headers: uploadedBlobHeadersSchema,
      },
    },
    async (request, reply) => {
      await leasedProject(deps, request, request.query);
      const blob = await receiveBlob(deps, request, 'workspace');
      await deps.workspaces.addLayer(request.params.id, request.query.attempt, blob);
      return reply.code(204).send();
    },
  );

  app.get<JobRequest>(
    '/jobs/:id/workspace',
    {
      config: BUILDER_ROUTE,
      schema: {
        tags: TAGS,
        summary: "List the upstream jobs' workspace layers",
        params: jobParams,
        querystring: transferQuerySchema,
      },
    },
    async (request) => {
      await leasedProject(deps, request, request.query);
      const layers = await deps.workspaces.layersFor(request.params.id);
      return { layers: layers.map(({ job, digest, size }) => ({ job, digest, size })) };
    },
  );

  app.get<JobRequest<{ id: number; digest: string }>>(
    '/jobs/:id/workspace/:digest',
    {
      config: BUILDER_ROUTE,
      schema: {
        tags: TAGS,
        summary: 'Download an upstream layer',
        params: layerParams,
        querystring: transferQuerySchema,
      },
    },
    async (request, reply) => {
      await leasedProject(deps, request, request.query);
      // Only the layers of this job's own upstream jobs: a digest is not a capability.
      const layers = await deps.workspaces.layersFor(request.params.id);
      if (!layers.some((layer) => layer.digest === request.params.digest))
        throw new NotFoundError(`an upstream workspace layer ${request.params.digest}`);
      return sendBlob(reply, deps, request.params.digest);
    },
  );
}

function registerArtifactRoutes(app: FastifyInstance, deps: TransferDeps): void {
  app.put<JobRequest>(
    '/jobs/:id/artifacts',
    {
      config: BUILDER_ROUTE,
      schema: {
        tags: TAGS,
        summary: 'Store artifacts (one per file)',
        params: jobParams,
        querystring: transferQuerySchema,
      },
    },
    async (request) => {
      await leasedProject(deps, request, request.query);
      // Rows are written once every file is in: a failed upload leaves no half of its artifacts.
      const stored: { path: string; blob: StoredBlob; contentType: string }[] = [];
      const limit = { bytes: deps.transferLimits.artifactBytes, setting: 'GYRE_ARTIFACT_MAX_SIZE' };
      let left = limit.bytes;
      await eachFile(
        request.body as Readable,
        async (path, content) => {
          const blob = await putLimited(deps, content, left, 'the artifacts of this step', limit);
          left -= blob.size;
          stored.push({ path, blob, contentType: contentTypeOf(path) });
        },
        'the artifacts upload',
      );
      for (const artifact of stored) await deps.artifacts.add(request.params.id, request.query.attempt, artifact);
      return { files: stored.length, bytes: stored.reduce((sum, a) => sum + a.blob.size, 0) };
    },
  );

  app.put<JobRequest>(
    '/jobs/:id/test-results',
    {
      config: BUILDER_ROUTE,
      schema: { tags: TAGS, summary: 'Store JUnit test results', params: jobParams, querystring: transferQuerySchema },
    },
    async (request) => {
      await leasedProject(deps, request, request.query);
      const files: { path: string; content: Buffer }[] = [];
      let left = deps.transferLimits.testResultBytes;
      await eachFile(
        request.body as Readable,
        async (path, content) => {
          if (!path.toLowerCase().endsWith('.xml')) return void content.resume();
          const bytes = await readLimited(content, left, deps.transferLimits.testResultBytes);
          left -= bytes.length;
          files.push({ path, content: bytes });
        },
        'the test results upload',
      );
      const { totals, warnings } = await deps.testResults.record(request.params.id, request.query.attempt, files);
      return { tests: totals.tests, failures: totals.failures + totals.errors, warnings: [...warnings] };
    },
  );
}

/**
 * The blob of a cache's or workspace layer's PUT: the direct upload its headers name, checked and
 * moved into place by the blob store, or else its body, streamed in.
 */
async function receiveBlob(
  deps: TransferDeps,
  request: FastifyRequest<JobRequest<unknown>>,
  kind: keyof typeof UPLOAD_KINDS,
): Promise<StoredBlob> {
  const { what, limit } = UPLOAD_KINDS[kind];
  const configured = limit(deps);
  const announced = announcedUpload(request.headers, request.body !== undefined);
  if (announced === undefined) return putLimited(deps, request.body as Readable, configured.bytes, what, configured);
  if (announced.size > configured.bytes) throw new TooLargeError(what, configured.bytes, configured.setting);
  await deps.blobs.commitUpload(announced.upload, announced);
  return { digest: announced.digest, size: announced.size };
}

/** A limit an administrator set, and the setting that holds it. */
interface ConfiguredLimit {
  readonly bytes: number;
  readonly setting: string;
}

/**
 * Stores a stream under `maxBytes` (what is left of `configured` for this upload); over it, a
 * TooLargeError names the configured limit and its setting.
 */
async function putLimited(
  deps: TransferDeps,
  body: Readable,
  maxBytes: number,
  what: string,
  configured: ConfiguredLimit,
): Promise<StoredBlob> {
  try {
    return await deps.blobs.put(body, { maxBytes });
  } catch (error) {
    if (error instanceof TooLargeError) throw new TooLargeError(what, configured.bytes, configured.setting);
    throw error;
  }
}

async function readLimited(body: Readable, limit: number, configured: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new TooLargeError('the test results of this step', configured);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A blob to a builder: a redirect to the store's own URL when it has one, else the bytes. */
async function sendBlob(reply: FastifyReply, deps: TransferDeps, digest: string): Promise<FastifyReply> {
  const url = await deps.blobs.downloadUrl(digest, DOWNLOAD_URL_TTL_S);
  if (url !== undefined) return reply.redirect(url, 307);
  return reply.type(TRANSFER_CONTENT_TYPE).send(await deps.blobs.get(digest));
}
