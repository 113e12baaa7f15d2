import { describe, expect, it } from '@jest/globals';
import { InvalidInputError } from '../../../../../src/shared/errors.js';
import { checkMemberForm, readMemberForm } from '../../../../../src/services/features/web/pages/project-member-form.js';

describe('the member form', () => {
  it('accepts a login and a role', () => {
    expect(checkMemberForm(readMemberForm({ login: ' vera ', role: 'member' }))).toEqual({
      login: 'vera',
      role: 'member',
    });
  });

  it('names every bad field at once', () => {
    let refusal: unknown;
    try {
      checkMemberForm(readMemberForm({ login: 'x'.repeat(40), role: 'owner' }));
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(InvalidInputError);
    expect((refusal as InvalidInputError).problems).toEqual([
      { input: 'Login', message: "the account's login, 1 to 39 characters" },
      { input: 'Role', message: 'one of viewer, member, maintainer' },
    ]);
  });
});
