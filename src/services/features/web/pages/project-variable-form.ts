/**
 * The form that sets a project variable, checked against the API's rules for a variable's name
 * and value (`PUT /api/v1/projects/:id/variables/:name`). Problems name the field; the value is
 * never quoted, since it is a secret.
 */
import { variableBody, variableParams } from '../../../../api/requests.js';
import { InvalidInputError, type InputProblem } from '../../../../shared/errors.js';
import { postedForm } from './page-common.js';

export interface VariableForm {
  readonly name: string;
  /** As typed: not trimmed, since spaces can be part of a secret. */
  readonly value: string;
}

/** Reads a posted variable form: the name trimmed, the value as typed. */
export function readVariableForm(body: unknown): VariableForm {
  const posted = postedForm(body);
  return { name: posted.text('name'), value: posted.raw('value') };
}

/** The variable the form sets; InvalidInputError lists every bad field, and nothing is set. */
export function checkVariableForm(form: VariableForm): VariableForm {
  const problems: InputProblem[] = [];
  if (!variableParams.shape.name.safeParse(form.name).success)
    problems.push({
      input: 'Name',
      message: 'letters, digits and _, not starting with a digit, at most 128 characters (e.g. DEPLOY_TOKEN)',
    });
  if (!variableBody.shape.value.safeParse(form.value).success)
    problems.push({
      input: 'Value',
      message: 'at most 65,536 characters, without NUL characters; type it again',
    });
  if (problems.length > 0) throw new InvalidInputError('the variable form', problems);
  return form;
}
