/**
 * The settings page's repository credential forms, checked against the API's rules
 * (`PUT /api/v1/projects/:id/credential`): an https token with an optional user name, or a
 * deploy key Gyre generates. Problems name the field; the token is never quoted back.
 */
import { gitCredentialBody } from '../../../../api/requests.js';
import { InvalidInputError, type InputProblem } from '../../../../shared/errors.js';
import type { GitCredentialInput } from '../../../stores/projects/git-credentials.js';
import { postedForm } from './page-common.js';

/** The credential a posted form asks for; InvalidInputError lists every bad field, and nothing is set. */
export function readCredentialForm(body: unknown): GitCredentialInput {
  const posted = postedForm(body);
  if (posted.text('kind') === 'deploy-key') return { kind: 'deploy-key' };
  const token = posted.raw('token');
  const username = posted.text('username');
  const tokenRule = gitCredentialBody.options[0].shape;
  const problems: InputProblem[] = [];
  if (!tokenRule.token.safeParse(token).success)
    problems.push({ input: 'Token', message: 'printable characters without spaces, at most 4,096; type it again' });
  if (username !== '' && !tokenRule.username.safeParse(username).success)
    problems.push({ input: 'User name', message: 'at most 255 characters, without colons or spaces' });
  if (problems.length > 0) throw new InvalidInputError('the credential form', problems);
  return { kind: 'token', token, ...(username !== '' && { username }) };
}
