import { describe, expect, it } from '@jest/globals';
import { InvalidInputError } from '../../../../../src/shared/errors.js';
import type { Project } from '../../../../../src/services/stores/projects/project-store.js';
import {
  readSettingsForm,
  settingsChanges,
  settingsFormOf,
} from '../../../../../src/services/features/web/pages/project-settings-form.js';

const project: Project = {
  id: 3,
  name: 'acme/web',
  gitUrl: 'https://github.com/acme/web.git',
  defaultBranch: 'main',
  visibility: 'private',
  buildForkPullRequests: true,
  passSecretsToForks: false,
  autoCancelRedundant: false,
  dockerInBuilds: false,
  repository: null,
  createdAt: '2024-01-01T00:00:00.000Z',
  updatedAt: '2024-01-01T00:00:00.000Z',
};

/** The problems a form is refused with, as `input: message` lines. */
function refusals(body: unknown): string[] {
  try {
    settingsChanges(readSettingsForm(body));
  } catch (error) {
    if (error instanceof InvalidInputError) return error.problems.map((p) => `${p.input}: ${p.message}`);
    throw error;
  }
  return [];
}

describe('the project settings form', () => {
  it('shows a project as it is, an unlinked repository as empty', () => {
    expect(settingsFormOf(project)).toEqual({
      gitUrl: 'https://github.com/acme/web.git',
      defaultBranch: 'main',
      repository: '',
      visibility: 'private',
      buildForkPullRequests: true,
      passSecretsToForks: false,
      autoCancelRedundant: false,
    });
  });

  it('turns a good form into every change at once; unchecked boxes are off', () => {
    const form = readSettingsForm({
      gitUrl: ' git@github.com:acme/web.git ',
      defaultBranch: 'develop',
      repository: 'Acme/Web',
      visibility: 'internal',
      passSecretsToForks: 'on',
      autoCancelRedundant: 'on',
    });
    expect(settingsChanges(form)).toEqual({
      gitUrl: 'git@github.com:acme/web.git',
      defaultBranch: 'develop',
      repository: 'Acme/Web',
      visibility: 'internal',
      buildForkPullRequests: false,
      passSecretsToForks: true,
      autoCancelRedundant: true,
    });
  });

  it('unlinks the project when the repository is emptied', () => {
    const form = { ...settingsFormOf({ ...project, repository: 'acme/web' }), repository: '' };
    expect(settingsChanges(form)).toMatchObject({ repository: null });
  });

  it('names every bad field at once, with what it expects', () => {
    expect(
      refusals({ gitUrl: 'ftp://host/x', defaultBranch: 'has space', repository: 'a/b/c', visibility: 'public' }),
    ).toEqual([
      'Git URL: an https://, ssh://, git:// or git@host:path clone URL',
      'Default branch: a branch name without spaces, e.g. main',
      'GitHub repository: owner/name, as in github.com/owner/name, or empty',
      'Visibility: one of private or internal',
    ]);
  });

  it('refuses an empty git URL and branch, and a body that is not a form', () => {
    expect(refusals({ visibility: 'private' }).map((line) => line.split(':')[0])).toEqual([
      'Git URL',
      'Default branch',
    ]);
    expect(refusals(undefined).map((line) => line.split(':')[0])).toEqual(['Git URL', 'Default branch', 'Visibility']);
  });
});
