import { describe, expect, it } from '@jest/globals';
import { checkProjectForm, readProjectForm } from '../../../../../src/services/features/web/pages/project-form.js';

describe('the add-project form', () => {
  it('accepts a good form and defaults the branch to main', () => {
    const form = readProjectForm({ name: ' acme/web ', gitUrl: 'git@github.com:acme/web.git' });
    expect(form).toEqual({ name: 'acme/web', gitUrl: 'git@github.com:acme/web.git', defaultBranch: 'main' });
    expect(checkProjectForm(form)).toEqual([]);
  });

  it('names every bad field at once', () => {
    const problems = checkProjectForm(
      readProjectForm({ name: '-x', gitUrl: 'ftp://host/repo', defaultBranch: 'has space' }),
    );
    expect(problems).toHaveLength(3);
    expect(problems.map((p) => p.split(':')[0])).toEqual(['Name', 'Git URL', 'Default branch']);
  });

  it('treats missing or non-text fields as empty', () => {
    expect(checkProjectForm(readProjectForm({ name: ['a'], gitUrl: 7 }))).toHaveLength(2);
    expect(checkProjectForm(readProjectForm(undefined))).toHaveLength(2);
  });
});
