/**
 * Maps GitHub's repository objects to Gyre's repository types.
 */
import type { DeliveryOutcome, RepositoryLocator, RepositoryRef } from './outcome.js';
import { repositoryLocator, type PushPayload } from './payload-schemas.js';

/** The repository of a checked payload. */
export function toRepositoryRef(repository: PushPayload['repository']): RepositoryRef {
  const [ownerFromName = ''] = repository.full_name.split('/');
  return {
    fullName: repository.full_name,
    cloneUrl: repository.clone_url,
    htmlUrl: repository.html_url,
    owner: repository.owner?.login ?? repository.owner?.name ?? ownerFromName,
    name: repository.name,
  };
}

/** The locator part of a repository. */
export function toLocator(repository: { readonly fullName: string; readonly cloneUrl: string }): RepositoryLocator {
  return { fullName: repository.fullName, cloneUrl: repository.cloneUrl };
}

/** Reads `repository.full_name` (and `clone_url` when it is a string) from any body, if present. */
export function peekRepository(body: unknown): RepositoryLocator | undefined {
  const result = repositoryLocator.safeParse(body);
  if (!result.success) return undefined;
  const { full_name: fullName, clone_url: cloneUrl } = result.data.repository;
  return cloneUrl === undefined ? { fullName } : { fullName, cloneUrl };
}

/** Adds the body's repository, when it names one, to an outcome that could not read it strictly. */
export function withPeekedRepository(
  outcome: Extract<DeliveryOutcome, { kind: 'ping' | 'ignored' | 'invalid' }>,
  body: unknown,
): DeliveryOutcome {
  const repository = peekRepository(body);
  return repository === undefined ? outcome : { ...outcome, repository };
}
