/**
 * Git for the services box: a mirror cache that reads files at commits and resolves branches,
 * with real git, no shell, no prompts, and typed errors. See {@link GitMirror}.
 */
export { GitMirror, type GitMirrorOptions } from './git-mirror.js';
export { GitError, type GitErrorKind } from './git-error.js';
export { HostPolicy, ownNetworks, type HostPolicyOptions, type ResolveHost } from './host-policy.js';
export type { RepositoryAccess } from './repository-access.js';
export {
  parseRepositoryUrl,
  mirrorDirectoryName,
  redactSecretsInText,
  type RepositoryUrl,
  type GitTransport,
  type ParseRepositoryUrlOptions,
} from './repository-url.js';
export { validateBranchName, validateCommitSha, validateRepositoryPath } from './git-arguments.js';
