/**
 * A project's settings form: what it shows for a project, what it read from a post, and the
 * changes it asks for, checked against the API's field rules (every problem at once, each naming
 * its field) before anything is saved. Unlike the add-project form, an empty repository unlinks
 * the project: there is no git URL to read one from at this point, only the one the user sees.
 */
import { InvalidInputError } from '../../../../shared/errors.js';
import { VISIBILITIES, type Visibility } from '../../../core/access/project-roles.js';
import type { Project, ProjectChanges } from '../../../stores/projects/project-store.js';
import { postedForm } from './page-common.js';
import { projectFieldProblems } from './project-form.js';

export interface SettingsForm {
  readonly gitUrl: string;
  readonly defaultBranch: string;
  /** `owner/name`, or empty for an unlinked project. */
  readonly repository: string;
  /** As posted: only `private` and `internal` pass the check. */
  readonly visibility: string;
  readonly buildForkPullRequests: boolean;
  readonly passSecretsToForks: boolean;
  readonly autoCancelRedundant: boolean;
}

/** The form as it shows a project's current settings. */
export function settingsFormOf(project: Project): SettingsForm {
  return {
    gitUrl: project.gitUrl,
    defaultBranch: project.defaultBranch,
    repository: project.repository ?? '',
    visibility: project.visibility,
    buildForkPullRequests: project.buildForkPullRequests,
    passSecretsToForks: project.passSecretsToForks,
    autoCancelRedundant: project.autoCancelRedundant,
  };
}

/** Reads a posted settings form; an unchecked checkbox is not sent, so it reads as off. */
export function readSettingsForm(body: unknown): SettingsForm {
  const posted = postedForm(body);
  return {
    gitUrl: posted.text('gitUrl'),
    defaultBranch: posted.text('defaultBranch'),
    repository: posted.text('repository'),
    visibility: posted.text('visibility'),
    buildForkPullRequests: posted.checked('buildForkPullRequests'),
    passSecretsToForks: posted.checked('passSecretsToForks'),
    autoCancelRedundant: posted.checked('autoCancelRedundant'),
  };
}

/** The changes the form asks for; InvalidInputError lists every bad field, and nothing is changed. */
export function settingsChanges(form: SettingsForm): ProjectChanges {
  const problems = projectFieldProblems({
    gitUrl: form.gitUrl,
    defaultBranch: form.defaultBranch,
    repository: form.repository,
  });
  if (!isVisibility(form.visibility))
    problems.push({ input: 'Visibility', message: `one of ${VISIBILITIES.join(' or ')}` });
  if (problems.length > 0 || !isVisibility(form.visibility)) throw new InvalidInputError('the settings form', problems);
  return {
    gitUrl: form.gitUrl,
    defaultBranch: form.defaultBranch,
    repository: form.repository === '' ? null : form.repository,
    visibility: form.visibility,
    buildForkPullRequests: form.buildForkPullRequests,
    passSecretsToForks: form.passSecretsToForks,
    autoCancelRedundant: form.autoCancelRedundant,
  };
}

function isVisibility(value: string): value is Visibility {
  return (VISIBILITIES as readonly string[]).includes(value);
}
