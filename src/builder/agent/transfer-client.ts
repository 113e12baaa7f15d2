/**
 * The agent's side of the data steps' transfers (the runner's DataTransfers port), over the
 * builder protocol's transfer routes (src/protocol/transfer-messages.ts), scoped to one lease.
 * Bodies stream both ways; a 413 names the size limit the services box holds to, and the runner
 * fails the step with it. When the lease offers direct uploads (an S3 blob store), caches and
 * workspace layers are spooled to a file first, to learn their sha256 and size, then go straight
 * to the bucket, and the services box only checks them and writes the row.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { z } from 'zod';
import {
  BLOB_DIGEST_HEADER,
  BLOB_SIZE_HEADER,
  BLOB_UPLOAD_HEADER,
  leaseTokenOf,
  uploadArtifactsResponseSchema,
  uploadCacheResponseSchema,
  uploadTestResultsResponseSchema,
  workspaceLayersResponseSchema,
  type LeaseToken,
  type UploadTargetRequest,
} from '../../protocol/index.js';
import type { DataTransfers, FoundCache, TestResultsReceipt, WorkspaceLayer } from '../runner/data-steps/transfers.js';
import { putToBlobStore } from './direct-upload.js';
import { MalformedReplyError, NotThereError, type ProtocolClient } from './protocol-client.js';
import { withSpooledFile } from './spooled-file.js';

export class TransferClient implements DataTransfers {
  constructor(
    private readonly client: ProtocolClient,
    private readonly jobId: number,
    private readonly token: LeaseToken,
    /** Whether the lease offers direct uploads to the blob store (see JobLease). */
    private readonly directUploads = false,
  ) {}

  async findCache(keys: readonly string[]): Promise<FoundCache | undefined> {
    try {
      return await this.client.findCache(this.jobId, { ...this.token, keys: [...keys] });
    } catch (error) {
      // No cache for any of the keys is an answer, not a failure.
      if (error instanceof NotThereError) return undefined;
      throw error;
    }
  }

  downloadCache(key: string): Promise<Readable> {
    return this.download(`/jobs/${this.jobId}/caches/${encodeURIComponent(key)}`);
  }

  async uploadCache(key: string, body: Readable): Promise<'saved' | 'exists'> {
    const path = `/jobs/${this.jobId}/caches/${encodeURIComponent(key)}`;
    const answer = await this.uploadBlob('cache', path, body, uploadCacheResponseSchema);
    return answer.saved ? 'saved' : 'exists';
  }

  async uploadWorkspaceLayer(body: Readable): Promise<void> {
    await this.uploadBlob('workspace', `/jobs/${this.jobId}/workspace`, body, undefined);
  }

  async workspaceLayers(): Promise<readonly WorkspaceLayer[]> {
    const path = `/jobs/${this.jobId}/workspace`;
    return (await this.client.downloadReply(path, this.token, workspaceLayersResponseSchema)).layers;
  }

  downloadWorkspaceLayer(digest: string): Promise<Readable> {
    return this.download(`/jobs/${this.jobId}/workspace/${digest}`);
  }

  uploadArtifacts(body: Readable): Promise<{ files: number; bytes: number }> {
    return this.client.upload(`/jobs/${this.jobId}/artifacts`, this.token, body, uploadArtifactsResponseSchema);
  }

  uploadTestResults(body: Readable): Promise<TestResultsReceipt> {
    return this.client.upload(`/jobs/${this.jobId}/test-results`, this.token, body, uploadTestResultsResponseSchema);
  }

  private async download(path: string): Promise<Readable> {
    const response = await this.client.download(path, this.token);
    if (response.body === null) throw new MalformedReplyError(`GET ${path} was answered without a body`);
    return Readable.fromWeb(response.body);
  }

  /**
   * A cache or workspace layer to its PUT route: streamed there, unless the lease offers direct
   * uploads; then spooled to learn its digest and size, sent to the URL the services box gives and
   * named to the route by headers, or, when it gives none after all, streamed to the route from the file.
   */
  private uploadBlob<T>(
    kind: UploadTargetRequest['kind'],
    path: string,
    body: Readable,
    reply: z.ZodType<T> | undefined,
  ): Promise<T> {
    if (!this.directUploads) return this.client.upload(path, this.token, body, reply);
    return withSpooledFile(body, async (file) => {
      const { digest, size } = file;
      const target = await this.client.uploadTarget(this.jobId, { ...leaseTokenOf(this.token), kind, digest, size });
      if (target.url === null) return this.client.upload(path, this.token, createReadStream(file.path), reply);
      await putToBlobStore(target.url, target.headers, file);
      return this.client.upload(path, this.token, undefined, reply, {
        [BLOB_DIGEST_HEADER]: digest,
        [BLOB_SIZE_HEADER]: String(size),
        [BLOB_UPLOAD_HEADER]: target.upload,
      });
    });
  }
}
