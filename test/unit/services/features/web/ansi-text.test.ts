import { describe, expect, it } from '@jest/globals';
import { stripAnsi } from '../../../../../src/services/features/web/pages/ansi-text.js';

describe('stripAnsi', () => {
  it('drops colour and cursor sequences and keeps the text', () => {
    expect(stripAnsi('\u001b[1;32mPASS\u001b[0m src/a.test.ts\n\u001b[2K\u001b[1Gdone')).toBe(
      'PASS src/a.test.ts\ndone',
    );
  });

  it('leaves text without escapes, markup included, as it is', () => {
    expect(stripAnsi('<script>alert(1)</script> [31m')).toBe('<script>alert(1)</script> [31m');
  });
});
