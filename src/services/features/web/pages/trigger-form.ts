/**
 * The project page's trigger form: a branch and pipeline parameters, one `name=value` per line,
 * checked against the API's rules (`POST /api/v1/projects/:id/pipelines`). A form sends only
 * text, so values are typed as a YAML reader would type them: `true`/`false` are booleans, whole
 * numbers are integers, and a value in double quotes stays a string (`"42"`).
 */
import { pipelineParameters } from '../../../../api/requests.js';
import { InvalidInputError, type InputProblem } from '../../../../shared/errors.js';
import type { TriggerOptions } from '../../pipelines/trigger-pipeline.js';
import { postedForm } from './page-common.js';

const SOURCE = 'the trigger form';
const HINT = 'write one parameter per line as name=value, e.g. deploy=true or env="staging"';

/** The branch and parameters the form asks for; InvalidInputError lists every bad line. */
export function readTriggerForm(body: unknown): TriggerOptions {
  const posted = postedForm(body);
  const branch = posted.text('branch') || undefined;
  const problems: InputProblem[] = [];
  const values: Record<string, string | number | boolean> = {};
  posted
    .raw('parameters')
    .split(/\r?\n/)
    .forEach((line, i) => {
      if (line.trim() === '') return;
      const match = /^\s*([^=\s]+)\s*=(.*)$/.exec(line);
      if (match?.[1] === undefined || match[2] === undefined)
        problems.push({
          input: `Parameters, line ${i + 1}`,
          message: `"${line.trim()}" is not name=value`,
          hint: HINT,
        });
      else if (Object.hasOwn(values, match[1]))
        problems.push({ input: `Parameters, line ${i + 1}`, message: `"${match[1]}" is given twice`, hint: HINT });
      else values[match[1]] = typedValue(match[2].trim());
    });
  const checked = pipelineParameters.safeParse(values);
  if (!checked.success)
    for (const issue of checked.error.issues)
      problems.push({
        input: `Parameters${issue.path.length > 0 ? `, ${issue.path.join('.')}` : ''}`,
        message: issue.message,
        hint: HINT,
      });
  if (problems.length > 0 || !checked.success) throw new InvalidInputError(SOURCE, problems);
  return { branch, ...(Object.keys(checked.data).length > 0 && { parameters: checked.data }) };
}

function typedValue(text: string): string | number | boolean {
  if (text === 'true' || text === 'false') return text === 'true';
  if (/^-?\d{1,15}$/.test(text)) return Number(text);
  const quoted = /^"(.*)"$/.exec(text);
  return quoted?.[1] ?? text;
}
