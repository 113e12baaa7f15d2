import { describe, expect, it } from '@jest/globals';
import { readTriggerForm } from '../../../../../src/services/features/web/pages/trigger-form.js';
import { InvalidInputError } from '../../../../../src/shared/errors.js';

describe('the trigger form', () => {
  it('reads the branch and types each name=value line as YAML would', () => {
    expect(
      readTriggerForm({
        branch: ' release ',
        parameters: 'deploy=true\r\n\r\nreplicas = 3\nname=web app\nversion="42"\nflag=false\n',
      }),
    ).toEqual({
      branch: 'release',
      parameters: { deploy: true, replicas: 3, name: 'web app', version: '42', flag: false },
    });
  });

  it('leaves out what is empty: the project default branch and no parameters', () => {
    expect(readTriggerForm({ branch: '', parameters: '  \n' })).toEqual({ branch: undefined });
  });

  it('lists every bad line at once, each by its line number', () => {
    let caught: unknown;
    try {
      readTriggerForm({ branch: 'main', parameters: 'deploy\nok=1\nok=2\n9lives=yes\n__proto__=1' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidInputError);
    expect((caught as InvalidInputError).problems.map((p) => `${p.input}: ${p.message}`)).toEqual([
      'Parameters, line 1: "deploy" is not name=value',
      'Parameters, line 3: "ok" is given twice',
      'Parameters, line 4: "9lives": not a parameter name: a letter, then up to 127 letters, digits, _ or -',
      'Parameters, line 5: "__proto__": not a parameter name: a letter, then up to 127 letters, digits, _ or -',
    ]);
  });
});
