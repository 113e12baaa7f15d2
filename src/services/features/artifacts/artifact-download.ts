/**
 * Downloading one artifact, the same for API tokens (`/api/v1/jobs/:id/artifacts/*`) and the web
 * UI's session (`/jobs/:id/artifacts/*`): streamed from the blob store, whole or one byte range.
 *
 * An artifact is the build author's code and never runs as Gyre's own page (design note
 * data-between-jobs.md): it is always an attachment, its type is never sniffed, and a browser that
 * renders it anyway does so in a sandbox, without scripts and in an origin of its own. The bytes
 * always come through the services box, also from an S3 store: the blob store's download URLs
 * cannot carry these headers or the file's name.
 */
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { artifactParams } from '../../../api/requests.js';
import type { BlobStore } from '../../blobs/blob-store.js';
import { formatContentRange, parseByteRange } from '../../core/logs/byte-range.js';
import { projectRole } from '../../http/access-policy.js';
import type { ApiErrorBody } from '../../http/error-shape.js';
import type { ArtifactStore } from '../../stores/artifacts/artifact-store.js';

export interface ArtifactDownloadDeps {
  readonly artifacts: Pick<ArtifactStore, 'get'>;
  readonly blobs: Pick<BlobStore, 'get'>;
}

type ArtifactRequest = { Params: { id: number; '*': string } };

/** An artifact's path in a URL: each part percent-encoded, the slashes kept. */
export function artifactUrlPath(jobId: number, path: string, prefix = ''): string {
  return `${prefix}/jobs/${jobId}/artifacts/${path.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * `Content-Disposition` of a download of `path`: an attachment named as the file, in ASCII for old
 * clients and exactly (RFC 8187, UTF-8) for the others.
 */
export function attachmentDisposition(path: string): string {
  const name = posix.basename(path);
  // Anything outside printable ASCII, and the quote and backslash that would end the quoted name.
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const exact = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${exact}`;
}

/**
 * Set last, after every other hook of the scope (the web UI gives its HTML pages a policy that
 * lets Gyre's own scripts run; an HTML artifact must not get it).
 */
function keepArtifactSandboxed(
  _request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  done: (error: null, payload: unknown) => void,
): void {
  void reply.header('x-content-type-options', 'nosniff').header('content-security-policy', 'sandbox');
  done(null, payload);
}

/** Registers `GET url` (with `:id`, the job, and `*`, the path) for viewers of the job's project. */
export function registerArtifactDownload(
  app: FastifyInstance,
  deps: ArtifactDownloadDeps,
  url: string,
  docs: { readonly tags?: string[]; readonly summary?: string } = {},
): void {
  app.get<ArtifactRequest>(
    url,
    {
      config: projectRole('viewer', 'job'),
      schema: { ...docs, params: artifactParams },
      onSend: keepArtifactSandboxed,
    },
    (request, reply) => sendArtifact(deps, request, reply),
  );
}

async function sendArtifact(
  deps: ArtifactDownloadDeps,
  request: FastifyRequest<ArtifactRequest>,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const artifact = await deps.artifacts.get(request.params.id, request.params['*']);
  const range = parseByteRange(request.headers.range, artifact.size);
  // The newest attempt may store another file at the same path: caches must ask again.
  void reply
    .header('accept-ranges', 'bytes')
    .header('etag', `"${artifact.digest}"`)
    .header('cache-control', 'private, no-cache');
  if (range.kind === 'unsatisfiable') {
    const body: ApiErrorBody = {
      error: {
        code: 'range_not_satisfiable',
        message: `the artifact is ${artifact.size} bytes; ask for a range that starts before byte ${artifact.size}`,
      },
    };
    return reply.code(416).header('content-range', formatContentRange(range, artifact.size)).send(body);
  }
  const [start, end] = range.kind === 'partial' ? [range.start, range.end] : [0, artifact.size - 1];
  if (range.kind === 'partial') void reply.code(206).header('content-range', formatContentRange(range, artifact.size));
  void reply
    .type(artifact.contentType)
    .header('content-disposition', attachmentDisposition(artifact.path))
    .header('content-length', end - start + 1);
  // HEAD: Fastify drains whatever stream is sent and keeps this content-length, so the blob is not read.
  if (request.method === 'HEAD' || artifact.size === 0) return reply.send(Readable.from([]));
  return reply.send(await deps.blobs.get(artifact.digest, range.kind === 'partial' ? { start, end } : undefined));
}
