import { describe, expect, it } from '@jest/globals';
import { checkoutInput } from '../../../../src/builder/runner/checkout.js';

/** The clone script's three stdin sections: variables, the extra CA's lines, the deploy key. */
const sectionsOf = (input: Buffer) => {
  const [variables, rest] = splitAtBlankLine(input.toString('utf8'));
  const [ca, key] = splitAtBlankLine(rest);
  return { variables, ca, key };
};
const splitAtBlankLine = (text: string): [string, string] => {
  const end = text.startsWith('\n') ? 0 : text.indexOf('\n\n') + 1;
  return [text.slice(0, end), text.slice(end + 1)];
};

describe('what the checkout helper reads on stdin', () => {
  it('is three empty sections without a credential or an extra CA', () => {
    expect(checkoutInput(undefined).toString()).toBe('\n\n');
    expect(sectionsOf(checkoutInput(undefined))).toEqual({ variables: '', ca: '', key: '' });
  });

  it("keeps the extra CA's blank lines (which would end its section early) out, whatever the line endings", () => {
    const pem =
      '-----BEGIN CERTIFICATE-----\r\nAAAA\r\n-----END CERTIFICATE-----\r\n\r\n-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----';
    const { variables, ca, key } = sectionsOf(checkoutInput(undefined, pem));
    expect(variables).toBe('');
    expect(ca).not.toMatch(/\n\s*\n/);
    expect(ca).toContain(
      'AAAA\r\n-----END CERTIFICATE-----\r\n-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n',
    );
    expect(key).toBe('');
  });

  it('puts a deploy key last, after its variables and the CA, ending in a newline', () => {
    const input = checkoutInput({ kind: 'deploy-key', privateKey: 'KEY-LINE-1\nKEY-LINE-2' }, 'CA-LINE\n');
    const { variables, ca, key } = sectionsOf(input);
    expect(variables).toContain('GIT_SSH_COMMAND=');
    expect(ca).toBe('CA-LINE\n');
    expect(key).toBe('KEY-LINE-1\nKEY-LINE-2\n');
  });
});
