/**
 * The add-project form, checked against the same field rules as the API (src/api), so the form
 * can be shown again with every problem named next to what the user typed.
 */
import { projectFields } from '../../../../api/requests.js';

export interface ProjectForm {
  readonly name: string;
  readonly gitUrl: string;
  readonly defaultBranch: string;
  /** The linked GitHub repository; empty means the one a github.com git URL names, if any. */
  readonly repository: string;
}

const HINTS: Readonly<Record<keyof ProjectForm, string>> = {
  name: 'Name: letters, digits and . _ / -, starting with a letter or digit, at most 100 characters (e.g. acme/web)',
  gitUrl: 'Git URL: an https://, ssh://, git:// or git@host:path clone URL',
  defaultBranch: 'Default branch: a branch name without spaces, e.g. main',
  repository: 'GitHub repository: owner/name, as in github.com/owner/name, or empty',
};

/** Reads the posted fields (trimmed; a missing default branch means main). */
export function readProjectForm(body: unknown): ProjectForm {
  const fields = (body ?? {}) as Record<string, unknown>;
  const text = (key: string) => (typeof fields[key] === 'string' ? fields[key].trim() : '');
  return {
    name: text('name'),
    gitUrl: text('gitUrl'),
    defaultBranch: text('defaultBranch') || 'main',
    repository: text('repository'),
  };
}

/** Every problem of the form at once, each naming its field and what it expects. */
export function checkProjectForm(form: ProjectForm): string[] {
  return (Object.keys(HINTS) as (keyof ProjectForm)[])
    .filter((key) => !(key === 'repository' && form.repository === ''))
    .filter((key) => !projectFields[key].safeParse(form[key]).success)
    .map((key) => HINTS[key]);
}

/** The project the form asks for: an empty repository is left for the git URL to name. */
export function projectOfForm(form: ProjectForm): Omit<ProjectForm, 'repository'> & { repository?: string } {
  const { repository, ...rest } = form;
  return repository === '' ? rest : { ...rest, repository };
}
