/**
 * The form that adds an account to a project or changes its role, checked against the API's
 * rules (`PUT /api/v1/projects/:id/members/:login`), each problem naming its field.
 */
import { memberBody, memberParams } from '../../../../api/requests.js';
import { InvalidInputError, type InputProblem } from '../../../../shared/errors.js';
import { PROJECT_ROLES, type ProjectRole } from '../../../core/access/project-roles.js';
import { postedForm } from './page-common.js';

export interface MemberForm {
  readonly login: string;
  readonly role: string;
}

/** Reads a posted member form (trimmed). */
export function readMemberForm(body: unknown): MemberForm {
  const posted = postedForm(body);
  return { login: posted.text('login'), role: posted.text('role') };
}

/** The membership the form asks for; InvalidInputError lists every bad field. */
export function checkMemberForm(form: MemberForm): { login: string; role: ProjectRole } {
  const problems: InputProblem[] = [];
  if (!memberParams.shape.login.safeParse(form.login).success)
    problems.push({ input: 'Login', message: "the account's login, 1 to 39 characters" });
  const role = memberBody.shape.role.safeParse(form.role);
  if (!role.success) problems.push({ input: 'Role', message: `one of ${PROJECT_ROLES.join(', ')}` });
  if (problems.length > 0 || !role.success) throw new InvalidInputError('the member form', problems);
  return { login: form.login, role: role.data };
}
