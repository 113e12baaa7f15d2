/**
 * Handlebars set-up shared by every stack template: strict (a missing value is an error, never
 * an empty string), no HTML escaping (the output is YAML), and a `json` helper that quotes any
 * value as a YAML-safe scalar.
 */
import Handlebars from 'handlebars';

export type CompiledTemplate = (model: object) => string;

/** Compiles a template against an isolated Handlebars environment holding the given partials. */
export function compileTemplate(source: string, partials: Readonly<Record<string, string>>): CompiledTemplate {
  const env = Handlebars.create();
  // JSON strings and numbers are valid YAML scalars, so quoting through JSON makes every
  // setting safe to splice into YAML, whatever characters it holds.
  // Strict mode does not cover helper arguments, so the helper itself refuses a missing value.
  env.registerHelper(
    'json',
    (value: unknown, options: Handlebars.HelperOptions & { loc?: { start: { line: number; column: number } } }) => {
      if (value === undefined)
        throw new Error(`json helper got an undefined value at line ${options.loc?.start.line ?? '?'}`);
      return JSON.stringify(value);
    },
  );
  for (const [name, text] of Object.entries(partials))
    env.registerPartial(name, env.compile(text, { strict: true, noEscape: true }));
  const template = env.compile(source, { strict: true, noEscape: true });
  return (model) => template(model);
}
