/**
 * The add-project form, checked against the same field rules as the API (src/api), so the form
 * can be shown again with every problem named next to what the user typed. The field hints are
 * shared with the project's settings form.
 */
import { projectFields } from '../../../../api/requests.js';
import type { InputProblem } from '../../../../shared/errors.js';
import { postedForm } from './page-common.js';

export interface ProjectForm {
  readonly name: string;
  readonly gitUrl: string;
  readonly defaultBranch: string;
  /** The linked GitHub repository; empty means the one a github.com git URL names, if any. */
  readonly repository: string;
}

type ProjectField = keyof typeof projectFields;

/** Each field's label on the forms, and what it expects, in words a person can act on. */
const HINTS: Readonly<Record<ProjectField, { readonly label: string; readonly expects: string }>> = {
  name: {
    label: 'Name',
    expects: 'letters, digits and . _ / -, starting with a letter or digit, at most 100 characters (e.g. acme/web)',
  },
  gitUrl: { label: 'Git URL', expects: 'an https://, ssh://, git:// or git@host:path clone URL' },
  defaultBranch: { label: 'Default branch', expects: 'a branch name without spaces, e.g. main' },
  repository: { label: 'GitHub repository', expects: 'owner/name, as in github.com/owner/name, or empty' },
};

/**
 * Every field of `values` that breaks the API's rule for it, each named by its label; an empty
 * repository is no problem (it means "none", or "the one the git URL names").
 */
export function projectFieldProblems(values: Readonly<Partial<Record<ProjectField, string>>>): InputProblem[] {
  return (Object.keys(HINTS) as ProjectField[])
    .filter((key) => values[key] !== undefined && !(key === 'repository' && values.repository === ''))
    .filter((key) => !projectFields[key].safeParse(values[key]).success)
    .map((key) => ({ input: HINTS[key].label, message: HINTS[key].expects }));
}

/** Reads the posted fields (trimmed; a missing default branch means main). */
export function readProjectForm(body: unknown): ProjectForm {
  const posted = postedForm(body);
  return {
    name: posted.text('name'),
    gitUrl: posted.text('gitUrl'),
    defaultBranch: posted.text('defaultBranch') || 'main',
    repository: posted.text('repository'),
  };
}

/** Every problem of the form at once, each naming its field and what it expects. */
export function checkProjectForm(form: ProjectForm): string[] {
  return projectFieldProblems(form).map((problem) => `${problem.input}: ${problem.message}`);
}

/** The project the form asks for: an empty repository is left for the git URL to name. */
export function projectOfForm(form: ProjectForm): Omit<ProjectForm, 'repository'> & { repository?: string } {
  const { repository, ...rest } = form;
  return repository === '' ? rest : { ...rest, repository };
}
