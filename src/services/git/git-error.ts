import { ExitCode, GyreError } from '../../shared/errors.js';

/**
 * What went wrong with a git operation. Callers switch on this, never on message text:
 * - `invalid-url`: the repository URL is malformed or uses a transport Gyre refuses;
 * - `invalid-argument`: a commit sha, path or branch name is malformed;
 * - `not-allowed`: the URL's host is loopback, link-local or the services box's own, and not allowed;
 * - `unreachable`: the repository could not be fetched (network, DNS, TLS, auth, no such repo);
 * - `timeout`: one git command ran out of time;
 * - `commit-not-found`: the repository answered but does not have the commit;
 * - `file-too-large`: the file exists but is over the size limit;
 * - `not-a-file`: the path names a directory, symlink or submodule, not a regular file;
 * - `git-failed`: git itself failed locally (not installed, corrupt mirror, full disk).
 */
export type GitErrorKind =
  | 'invalid-url'
  | 'invalid-argument'
  | 'not-allowed'
  | 'unreachable'
  | 'timeout'
  | 'commit-not-found'
  | 'file-too-large'
  | 'not-a-file'
  | 'git-failed';

const EXIT_CODES: Readonly<Record<GitErrorKind, ExitCode>> = {
  'invalid-url': ExitCode.invalidInput,
  'invalid-argument': ExitCode.invalidInput,
  'not-allowed': ExitCode.invalidInput,
  unreachable: ExitCode.unavailable,
  timeout: ExitCode.timeout,
  'commit-not-found': ExitCode.invalidInput,
  'file-too-large': ExitCode.invalidInput,
  'not-a-file': ExitCode.invalidInput,
  'git-failed': ExitCode.failure,
};

/**
 * A failed git operation. The message names the repository (credentials redacted) and says what
 * to check; `kind` classifies it for callers.
 */
export class GitError extends GyreError {
  constructor(
    readonly kind: GitErrorKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, EXIT_CODES[kind], options);
  }
}
