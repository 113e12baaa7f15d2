import { describe, expect, it } from '@jest/globals';
import {
  checkProjectForm,
  projectOfForm,
  readProjectForm,
} from '../../../../../src/services/features/web/pages/project-form.js';

describe('the add-project form', () => {
  it('accepts a good form and defaults the branch to main', () => {
    const form = readProjectForm({ name: ' acme/web ', gitUrl: 'git@github.com:acme/web.git' });
    expect(form).toEqual({
      name: 'acme/web',
      gitUrl: 'git@github.com:acme/web.git',
      defaultBranch: 'main',
      repository: '',
    });
    expect(checkProjectForm(form)).toEqual([]);
    // An empty repository is left for the store to read from the git URL.
    expect(projectOfForm(form)).toEqual({
      name: 'acme/web',
      gitUrl: 'git@github.com:acme/web.git',
      defaultBranch: 'main',
    });
  });

  it('names every bad field at once', () => {
    const problems = checkProjectForm(
      readProjectForm({ name: '-x', gitUrl: 'ftp://host/repo', defaultBranch: 'has space', repository: 'a/b/c' }),
    );
    expect(problems.map((p) => p.split(':')[0])).toEqual(['Name', 'Git URL', 'Default branch', 'GitHub repository']);
  });

  it('keeps a named repository', () => {
    const form = readProjectForm({ name: 'web', gitUrl: 'git://git.internal/web.git', repository: ' Acme/Web ' });
    expect(checkProjectForm(form)).toEqual([]);
    expect(projectOfForm(form)).toMatchObject({ repository: 'Acme/Web' });
  });

  it('treats missing or non-text fields as empty', () => {
    expect(checkProjectForm(readProjectForm({ name: ['a'], gitUrl: 7 }))).toHaveLength(2);
    expect(checkProjectForm(readProjectForm(undefined))).toHaveLength(2);
  });
});
