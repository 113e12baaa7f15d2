import { describe, expect, it } from '@jest/globals';
import { InvalidInputError } from '../../../../../src/shared/errors.js';
import {
  checkVariableForm,
  readVariableForm,
} from '../../../../../src/services/features/web/pages/project-variable-form.js';

function refusalsOf(body: unknown): InvalidInputError {
  try {
    checkVariableForm(readVariableForm(body));
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('the form was accepted');
}

describe('the variable form', () => {
  it('keeps a value exactly as typed, spaces included, and trims the name', () => {
    expect(checkVariableForm(readVariableForm({ name: ' DEPLOY_TOKEN ', value: '  s3cret value \n' }))).toEqual({
      name: 'DEPLOY_TOKEN',
      value: '  s3cret value \n',
    });
  });

  it('names both bad fields and never quotes the value', () => {
    const value = `hunter2-${'\0'}-secret`;
    const error = refusalsOf({ name: '1BAD-NAME', value });
    expect(error.problems.map((p) => p.input)).toEqual(['Name', 'Value']);
    expect(JSON.stringify(error.problems)).not.toContain('hunter2');
    expect(error.message).not.toContain('hunter2');
  });

  it('refuses a value longer than the API allows', () => {
    expect(refusalsOf({ name: 'BIG', value: 'x'.repeat(65_537) }).problems.map((p) => p.input)).toEqual(['Value']);
  });

  it('refuses a missing name', () => {
    expect(refusalsOf({ value: 'x' }).problems.map((p) => p.input)).toEqual(['Name']);
  });
});
