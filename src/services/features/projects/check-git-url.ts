/**
 * The checks a project's git URL passes before it is saved, by the API and the web form alike:
 * a URL git accepts, no user name or token in it (those go in the project's credential), and a
 * host that is not loopback, link-local or the services box's own unless an administrator allows it.
 */
import { InvalidInputError } from '../../../shared/errors.js';
import { GitError, parseRepositoryUrl, type HostPolicy } from '../../git/index.js';

/**
 * Throws an {@link InvalidInputError} naming `input` (the field as its form or body calls it) when
 * the URL may not be saved.
 */
export async function checkGitUrl(policy: HostPolicy, gitUrl: string, source: string, input = 'gitUrl'): Promise<void> {
  try {
    await policy.check(parseRepositoryUrl(gitUrl));
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    throw new InvalidInputError(source, [{ input, message: error.message }]);
  }
}
