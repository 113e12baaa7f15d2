import { describe, expect, it } from '@jest/globals';
import { safeNext } from '../../../../src/services/http/safe-next.js';

describe('safeNext, where sign-in sends the browser', () => {
  it('keeps a path on this site, with its query', () => {
    expect(safeNext('/projects/7?tab=variables')).toBe('/projects/7?tab=variables');
    expect(safeNext('/')).toBe('/');
  });

  it.each([
    ['another site', 'https://evil.example/'],
    ['a protocol-relative URL', '//evil.example'],
    ['a backslash that browsers read as a slash', '/\\evil.example'],
    ['a tab that browsers drop', '/\t/evil.example'],
    ['a newline that browsers drop', '/\n/evil.example'],
    ['a carriage return', '/\r/evil.example'],
    ['a space', '/ /evil.example'],
    ['a relative path', 'evil.example'],
    ['nothing', undefined],
    ['not a string', ['/a', '/b']],
  ])('sends %s to the home page', (_what, next) => {
    expect(safeNext(next)).toBe('/');
  });
});
