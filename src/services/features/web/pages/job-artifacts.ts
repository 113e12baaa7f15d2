/**
 * The job page's "Artifacts" section (the files of the job's newest attempt that stored any, with
 * their sizes) and their download behind the web session, `/jobs/:id/artifacts/*`: the same
 * answer as the API's download (features/artifacts), for links a browser follows.
 */
import { formatRoundedByteSize } from '../../../../shared/byte-size.js';
import type { ArtifactStore } from '../../../stores/artifacts/artifact-store.js';
import { artifactUrlPath, registerArtifactDownload } from '../../artifacts/artifact-download.js';
import type { UserPages } from '../user-ui.js';

/** Artifacts the page lists; the API lists every one. */
export const ARTIFACTS_SHOWN = 200;

export interface ArtifactsSection {
  readonly attempt: number;
  readonly items: readonly { readonly path: string; readonly href: string; readonly size: string }[];
  /** Artifacts stored but not listed here; 0 when all are. */
  readonly notShown: number;
}

export const jobArtifactRoutes: UserPages = (web, parts) => {
  registerArtifactDownload(web, parts, '/jobs/:id/artifacts/*');
};

/** The section's model, or undefined when the job stored no artifacts: the page then has none. */
export async function readArtifactsSection(
  artifacts: Pick<ArtifactStore, 'list'>,
  jobId: number,
): Promise<ArtifactsSection | undefined> {
  const list = await artifacts.list(jobId);
  if (list.attempt === null) return undefined;
  return {
    attempt: list.attempt,
    items: list.items.slice(0, ARTIFACTS_SHOWN).map((artifact) => ({
      path: artifact.path,
      href: artifactUrlPath(jobId, artifact.path),
      size: formatRoundedByteSize(artifact.size),
    })),
    notShown: Math.max(0, list.items.length - ARTIFACTS_SHOWN),
  };
}
