/**
 * Pipeline parameters as a web form takes them: one `name=value` per line, checked against the
 * API's rules. A form sends only text, so values are typed as a YAML reader would type them:
 * `true`/`false` are booleans, whole numbers are integers, and a value in double quotes stays a
 * string (`"42"`). The trigger form and the schedule form both read them here.
 */
import { pipelineParameters, type PipelineParameters } from '../../../../api/requests.js';
import type { InputProblem } from '../../../../shared/errors.js';

const HINT = 'write one parameter per line as name=value, e.g. deploy=true or env="staging"';

/** The parameters of `text`, and a problem per bad line (all of them). */
export function readParameterLines(text: string): { parameters: PipelineParameters; problems: InputProblem[] } {
  const problems: InputProblem[] = [];
  const values: Record<string, string | number | boolean> = {};
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const match = /^\s*([^=\s]+)\s*=(.*)$/.exec(line);
    if (match?.[1] === undefined || match[2] === undefined)
      problems.push({ input: `Parameters, line ${i + 1}`, message: `"${line.trim()}" is not name=value`, hint: HINT });
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
  return { parameters: checked.success ? checked.data : {}, problems };
}

/** Parameters written back as lines, for a form shown again. */
export function parameterLines(parameters: PipelineParameters): string {
  return Object.entries(parameters)
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
    .join('\n');
}

function typedValue(text: string): string | number | boolean {
  if (text === 'true' || text === 'false') return text === 'true';
  if (/^-?\d{1,15}$/.test(text)) return Number(text);
  const quoted = /^"(.*)"$/.exec(text);
  return quoted?.[1] ?? text;
}
