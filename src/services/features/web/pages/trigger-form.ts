/**
 * The project page's trigger form: a branch and pipeline parameters (parameter-lines.ts), checked
 * against the API's rules (`POST /api/v1/projects/:id/pipelines`).
 */
import { InvalidInputError } from '../../../../shared/errors.js';
import type { TriggerOptions } from '../../pipelines/trigger-pipeline.js';
import { postedForm } from './page-common.js';
import { readParameterLines } from './parameter-lines.js';

/** The branch and parameters the form asks for; InvalidInputError lists every bad line. */
export function readTriggerForm(body: unknown): TriggerOptions {
  const posted = postedForm(body);
  const { parameters, problems } = readParameterLines(posted.raw('parameters'));
  if (problems.length > 0) throw new InvalidInputError('the trigger form', problems);
  return {
    branch: posted.text('branch') || undefined,
    ...(Object.keys(parameters).length > 0 && { parameters }),
  };
}
