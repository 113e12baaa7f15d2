/**
 * `GET /api/v1/jobs/:id/artifacts`: the files a job stored with `store_artifacts`, with their
 * sizes and download URLs, and `GET /api/v1/jobs/:id/artifacts/*`, one of them, for API tokens.
 * The web UI downloads through `/jobs/:id/artifacts/*` with its session instead; both answer the
 * same (artifact-download.ts), so the URLs listed here work with the token that listed them.
 */
import type { FastifyInstance } from 'fastify';
import { idParams } from '../../../api/requests.js';
import { artifactListResponse, type ArtifactListResponse } from '../../../api/responses.js';
import { projectRole } from '../../http/access-policy.js';
import type { ArtifactStore } from '../../stores/artifacts/artifact-store.js';
import { artifactUrlPath, registerArtifactDownload, type ArtifactDownloadDeps } from './artifact-download.js';

export interface ArtifactRouteDeps extends ArtifactDownloadDeps {
  readonly artifacts: Pick<ArtifactStore, 'get' | 'list'>;
  /** Base URL users reach Gyre at, for the download URLs. */
  readonly publicUrl: string;
}

const TAGS = ['artifacts'];

export function registerArtifactRoutes(app: FastifyInstance, deps: ArtifactRouteDeps): void {
  app.get<{ Params: { id: number } }>(
    '/api/v1/jobs/:id/artifacts',
    {
      config: projectRole('viewer', 'job'),
      schema: {
        tags: TAGS,
        summary: "List a job's artifacts: those of its newest attempt that stored any",
        params: idParams,
        response: { 200: artifactListResponse },
      },
    },
    async (request): Promise<ArtifactListResponse> => {
      const jobId = request.params.id;
      const list = await deps.artifacts.list(jobId);
      return {
        attempt: list.attempt,
        items: list.items.map((artifact) => ({
          path: artifact.path,
          size: artifact.size,
          contentType: artifact.contentType,
          url: `${deps.publicUrl}${artifactUrlPath(jobId, artifact.path, '/api/v1')}`,
        })),
      };
    },
  );
  registerArtifactDownload(app, deps, '/api/v1/jobs/:id/artifacts/*', {
    tags: TAGS,
    summary: 'Download an artifact, whole or a byte range (`Range: bytes=a-b`); always an attachment',
  });
}
