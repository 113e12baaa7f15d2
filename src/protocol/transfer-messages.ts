/**
 * The builder protocol's transfer routes, for the steps that move data between jobs (see
 * docs/design/data-between-jobs.md). Each route is under `/jobs/:id/` and carries the lease token
 * (`attempt`, `leaseId`) as query parameters, so it is scoped to a live lease of that job: a stale
 * one gets 409 like every other job write. Bodies going up are zstd-compressed tar streams
 * (`content-type: application/zstd`); a download answers the same, or redirects to a presigned URL
 * of the blob store, which the agent follows without its credential.
 */
import { z } from 'zod';
import { leaseTokenSchema } from './messages.js';

export const TRANSFER_CONTENT_TYPE = 'application/zstd';

/** The lease token as query parameters: strings on the wire. */
export const transferQuerySchema = z.strictObject({
  attempt: z.coerce.number().int().positive(),
  leaseId: leaseTokenSchema.shape.leaseId,
});
export type TransferQuery = z.infer<typeof transferQuerySchema>;

/** A cache key as a path parameter: what CircleCI keys hold, at most 512 characters. */
export const cacheKeySchema = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

/** A blob's address: the sha256 of its bytes. */
export const blobDigestSchema = z
  .string()
  .regex(/^[0-9a-f]{64}$/, 'must be the 64 lowercase hex characters of a sha256');

/** `POST /jobs/:id/caches/find` */
export const findCacheRequestSchema = z.strictObject({
  ...leaseTokenSchema.shape,
  keys: z.array(cacheKeySchema).min(1).max(32),
});
export type FindCacheRequest = z.infer<typeof findCacheRequestSchema>;
export const foundCacheSchema = z.strictObject({ key: z.string(), size: z.number().int().nonnegative() });

/** `PUT /jobs/:id/caches/:key`: `saved` is false when the key was taken (caches are immutable). */
export const uploadCacheResponseSchema = z.strictObject({ saved: z.boolean() });

/** `GET /jobs/:id/workspace` */
export const workspaceLayersResponseSchema = z.strictObject({
  layers: z.array(
    z.strictObject({
      job: z.string(),
      digest: blobDigestSchema,
      size: z.number().int().nonnegative(),
    }),
  ),
});

/** `PUT /jobs/:id/artifacts` */
export const uploadArtifactsResponseSchema = z.strictObject({
  files: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
});

/** `PUT /jobs/:id/test-results` */
export const uploadTestResultsResponseSchema = z.strictObject({
  tests: z.number().int().nonnegative(),
  failures: z.number().int().nonnegative(),
  warnings: z.array(z.string()),
});

/**
 * Direct uploads (an S3 blob store): the agent spools a cache or workspace layer to a file while
 * hashing it, asks `POST /jobs/:id/uploads` for a target, PUTs the file there, then calls the
 * cache's or workspace's PUT route with an empty body and these headers naming what it uploaded.
 */
export const BLOB_DIGEST_HEADER = 'x-gyre-blob-digest';
export const BLOB_SIZE_HEADER = 'x-gyre-blob-size';
export const BLOB_UPLOAD_HEADER = 'x-gyre-blob-upload';

/** `POST /jobs/:id/uploads`: where to send a blob of this digest and size. */
export const uploadTargetRequestSchema = z.strictObject({
  ...leaseTokenSchema.shape,
  kind: z.enum(['cache', 'workspace']),
  digest: blobDigestSchema,
  size: z.number().int().nonnegative(),
});
export type UploadTargetRequest = z.infer<typeof uploadTargetRequestSchema>;

/**
 * A presigned PUT (send `headers` with it, and nothing else: not the builder's credential), then
 * name `upload` in the PUT route's headers; or `url: null`: stream the bytes to the PUT route.
 */
export const uploadTargetResponseSchema = z.union([
  z.strictObject({
    url: z.string().url(),
    headers: z.record(z.string(), z.string()),
    upload: z.string().uuid(),
  }),
  z.strictObject({ url: z.null() }),
]);
export type UploadTarget = z.infer<typeof uploadTargetResponseSchema>;

/** The headers of a PUT route's call after a direct upload: all three, or none. */
export const uploadedBlobHeadersSchema = z.object({
  [BLOB_DIGEST_HEADER]: blobDigestSchema.optional(),
  [BLOB_SIZE_HEADER]: z.coerce.number().int().nonnegative().optional(),
  [BLOB_UPLOAD_HEADER]: z.string().uuid().optional(),
});
