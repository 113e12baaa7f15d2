/**
 * Pipeline parameters as a web form takes them: one `name=value` per line, checked against the
 * API's rules. A form sends only text, so values are typed as a YAML reader would type them:
 * `true`/`false` are booleans, whole numbers are integers, and a value in double quotes stays a
 * string (`"42"`). The trigger form and the schedule form both read them here.
 */
import {
  PARAMETER_NAME,
  PARAMETER_NAME_RULE,
  pipelineParameters,
  type PipelineParameters,
} from '../../../../api/requests.js';
import type { InputProblem } from '../../../../shared/errors.js';

const HINT = 'write one parameter per line as name=value, e.g. deploy=true or env="staging"';

/** The parameters of `text`, and a problem per bad line (all of them). */
export function readParameterLines(text: string): { parameters: PipelineParameters; problems: InputProblem[] } {
  const problems: InputProblem[] = [];
  const values = new Map<string, string | number | boolean>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const match = /^\s*([^=\s]+)\s*=(.*)$/.exec(line);
    if (match?.[1] === undefined || match[2] === undefined)
      problems.push({ input: `Parameters, line ${i + 1}`, message: `"${line.trim()}" is not name=value`, hint: HINT });
    // Checked here, by line: names like `__proto__` would not survive into an object to check.
    else if (!PARAMETER_NAME.test(match[1]))
      problems.push({
        input: `Parameters, line ${i + 1}`,
        message: `"${match[1]}": ${PARAMETER_NAME_RULE}`,
        hint: HINT,
      });
    else if (values.has(match[1]))
      problems.push({ input: `Parameters, line ${i + 1}`, message: `"${match[1]}" is given twice`, hint: HINT });
    else values.set(match[1], typedValue(match[2].trim()));
  });
  const checked = pipelineParameters.safeParse(Object.fromEntries(values));
  if (!checked.success)
    for (const issue of checked.error.issues)
      problems.push({
        input: `Parameters${issue.path.length > 0 ? `, ${issue.path.join('.')}` : ''}`,
        message: issue.message,
        hint: HINT,
      });
  return { parameters: checked.success ? checked.data : {}, problems };
}

/**
 * Parameters as `name=value`, by name (the database keeps no order), values written as JSON
 * (`"42"` is a string), for the pipeline and schedule pages.
 */
export function parameterLines(parameters: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(parameters)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`);
}

function typedValue(text: string): string | number | boolean {
  if (text === 'true' || text === 'false') return text === 'true';
  if (/^-?\d{1,15}$/.test(text)) return Number(text);
  const quoted = /^"(.*)"$/.exec(text);
  return quoted?.[1] ?? text;
}
