/**
 * Validation of the commit shas, file paths and branch names that reach git. Each check is
 * stricter than git itself: a value that passes can never be read as an option, a revision
 * expression or a path outside the repository.
 */
import { GitError } from './git-error.js';

const SHA1 = /^[0-9a-f]{40}$/i;
const MAX_PATH_LENGTH = 4096;
const MAX_BRANCH_LENGTH = 255;

/** The commit sha in lowercase, or a {@link GitError} of kind `invalid-argument`. */
export function validateCommitSha(sha: string): string {
  if (!SHA1.test(sha)) {
    throw invalid(
      'commit sha',
      sha,
      'expected 40 hexadecimal characters (a full SHA-1 commit id)',
      'pass the full id, as in `git rev-parse HEAD`',
    );
  }
  return sha.toLowerCase();
}

/** A path relative to the repository root, such as `.circleci/config.yml`. */
export function validateRepositoryPath(path: string): string {
  const fix = 'use a path relative to the repository root, such as .circleci/config.yml';
  if (path === '' || path.length > MAX_PATH_LENGTH)
    throw invalid('path', path, `expected 1 to ${MAX_PATH_LENGTH} characters`, fix);
  // Control characters (NUL above all) would change what git reads; `:` at the start is pathspec magic.
  if (/\p{Cc}/u.test(path)) throw invalid('path', path, 'contains control characters', fix);
  if (path.startsWith('/') || path.startsWith(':')) throw invalid('path', path, 'must not start with "/" or ":"', fix);
  if (path.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
    throw invalid('path', path, 'must not contain empty, "." or ".." segments', fix);
  }
  return path;
}

/** A branch name as `git check-ref-format --branch` would accept it, without `refs/heads/`. */
export function validateBranchName(branch: string): string {
  const problem = branchNameProblem(branch);
  if (problem !== undefined) {
    throw invalid('branch', branch, problem, 'pass the short branch name, such as main or release/1.2');
  }
  return branch;
}

function branchNameProblem(branch: string): string | undefined {
  if (branch === '' || branch.length > MAX_BRANCH_LENGTH) return `expected 1 to ${MAX_BRANCH_LENGTH} characters`;
  if (branch.startsWith('-')) return 'must not start with "-"';
  if (branch === '@' || branch === 'HEAD') return 'is a revision name, not a branch';
  if (branch.startsWith('refs/')) return 'must not start with refs/';
  if (/[\p{Cc}\s~^:?*[\\]/u.test(branch)) return 'contains a space, a control character or one of ~ ^ : ? * [ \\';
  if (branch.includes('..') || branch.includes('@{')) return 'contains ".." or "@{"';
  const segments = branch.split('/');
  if (segments.some((segment) => segment === '' || segment.startsWith('.') || segment.endsWith('.lock'))) {
    return 'has an empty path segment, a segment starting with "." or a segment ending with ".lock"';
  }
  if (branch.endsWith('.')) return 'must not end with "."';
  return undefined;
}

function invalid(input: string, value: string, problem: string, fix: string): GitError {
  const shown = JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
  return new GitError('invalid-argument', `The ${input} ${shown} is not valid: ${problem}. Fix: ${fix}`);
}
