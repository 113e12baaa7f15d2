/**
 * The agent's side of the data steps' transfers (the runner's DataTransfers port), over the
 * builder protocol's transfer routes (src/protocol/transfer-messages.ts), scoped to one lease.
 * Bodies stream both ways; a 413 names the size limit the services box holds to, and the runner
 * fails the step with it.
 */
import { Readable } from 'node:stream';
import type { z } from 'zod';
import {
  uploadArtifactsResponseSchema,
  uploadCacheResponseSchema,
  uploadTestResultsResponseSchema,
  workspaceLayersResponseSchema,
  type LeaseToken,
} from '../../protocol/index.js';
import type { DataTransfers, FoundCache, TestResultsReceipt, WorkspaceLayer } from '../runner/data-steps/transfers.js';
import { MalformedReplyError, NotThereError, type ProtocolClient } from './protocol-client.js';

export class TransferClient implements DataTransfers {
  constructor(
    private readonly client: ProtocolClient,
    private readonly jobId: number,
    private readonly token: LeaseToken,
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
    const answer = await this.upload(path, body, uploadCacheResponseSchema);
    return answer.saved ? 'saved' : 'exists';
  }

  async uploadWorkspaceLayer(body: Readable): Promise<void> {
    await this.client.transfer('PUT', `/jobs/${this.jobId}/workspace`, this.token, body).then((r) => r.body?.cancel());
  }

  async workspaceLayers(): Promise<readonly WorkspaceLayer[]> {
    const response = await this.client.transfer('GET', `/jobs/${this.jobId}/workspace`, this.token);
    return (await this.read(response, workspaceLayersResponseSchema, 'the workspace layers')).layers;
  }

  downloadWorkspaceLayer(digest: string): Promise<Readable> {
    return this.download(`/jobs/${this.jobId}/workspace/${digest}`);
  }

  uploadArtifacts(body: Readable): Promise<{ files: number; bytes: number }> {
    return this.upload(`/jobs/${this.jobId}/artifacts`, body, uploadArtifactsResponseSchema);
  }

  uploadTestResults(body: Readable): Promise<TestResultsReceipt> {
    return this.upload(`/jobs/${this.jobId}/test-results`, body, uploadTestResultsResponseSchema);
  }

  private async download(path: string): Promise<Readable> {
    const response = await this.client.transfer('GET', path, this.token);
    if (response.body === null) throw new MalformedReplyError(`GET ${path} was answered without a body`);
    return Readable.fromWeb(response.body);
  }

  private async upload<T>(path: string, body: Readable, reply: z.ZodType<T>): Promise<T> {
    return this.read(await this.client.transfer('PUT', path, this.token, body), reply, `PUT ${path}`);
  }

  private async read<T>(response: Response, reply: z.ZodType<T>, what: string): Promise<T> {
    const parsed = reply.safeParse(await response.json().catch(() => undefined));
    if (parsed.success) return parsed.data;
    throw new MalformedReplyError(
      `the services box answered ${what} with a reply this agent cannot read; check that the builder runs the same Gyre version as the services box`,
    );
  }
}
