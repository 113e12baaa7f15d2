/**
 * Which caches a build may restore and save. A build kept from the project's secrets (a fork's
 * pull request, see fork-secrets.ts) runs code its author controls, so it must neither read the
 * project's caches (they may hold what trusted builds put there, such as credentials in a
 * package manager's folder) nor write caches that trusted builds would then restore (a poisoned
 * dependency). Such builds get caches of their own, one set per fork repository, which its pull
 * requests share; CircleCI isolates fork builds' caches the same way, and shares them with the
 * project when it passes secrets to forks.
 */
import { withholdsSecrets } from './fork-secrets.js';

/** The project's own caches, which trusted builds share. */
export const PROJECT_CACHES = '';

interface Build {
  readonly ref: string;
  readonly pullRequest:
    { readonly fromFork?: boolean; readonly headRepository?: { readonly fullName: string } } | null | undefined;
}

/**
 * The cache partition of a build: {@link PROJECT_CACHES}, or `fork:<owner/name>` of the head
 * repository (lowercase, as GitHub names compare). A pull request whose head repository is gone
 * or unknown gets a partition of its own, `fork:<ref>`, shared with nothing.
 */
export function cachePartitionOf(build: Build, passSecretsToForks: boolean): string {
  if (!withholdsSecrets(build, passSecretsToForks)) return PROJECT_CACHES;
  const head = build.pullRequest?.headRepository?.fullName;
  return head === undefined ? `fork:${build.ref}` : `fork:${head.toLowerCase()}`;
}
