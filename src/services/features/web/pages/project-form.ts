/**
 * The add-project form, checked against the same field rules as the API (src/api), so the form
 * can be shown again with every problem named next to what the user typed.
 */
import { projectFields } from '../../../../api/requests.js';

export interface ProjectForm {
  readonly name: string;
  readonly gitUrl: string;
  readonly defaultBranch: string;
}

const HINTS: Readonly<Record<keyof ProjectForm, string>> = {
  name: 'Name: letters, digits and . _ / -, starting with a letter or digit, at most 100 characters (e.g. acme/web)',
  gitUrl: 'Git URL: an https://, ssh://, git:// or git@host:path clone URL',
  defaultBranch: 'Default branch: a branch name without spaces, e.g. main',
};

/** Reads the posted fields (trimmed; a missing default branch means main). */
export function readProjectForm(body: unknown): ProjectForm {
  const fields = (body ?? {}) as Record<string, unknown>;
  const text = (key: string) => (typeof fields[key] === 'string' ? fields[key].trim() : '');
  return { name: text('name'), gitUrl: text('gitUrl'), defaultBranch: text('defaultBranch') || 'main' };
}

/** Every problem of the form at once, each naming its field and what it expects. */
export function checkProjectForm(form: ProjectForm): string[] {
  return (Object.keys(HINTS) as (keyof ProjectForm)[])
    .filter((key) => !projectFields[key].safeParse(form[key]).success)
    .map((key) => HINTS[key]);
}
