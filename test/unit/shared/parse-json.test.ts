import { describe, expect, it } from '@jest/globals';
import { UnavailableError } from '../../../src/shared/errors.js';
import { parseJsonFrom } from '../../../src/shared/parse-json.js';

describe('parseJsonFrom', () => {
  it('parses JSON', () => {
    expect(parseJsonFrom('{"a":1}', 'the API')).toEqual({ a: 1 });
  });

  it('says who answered with something else, and how it starts', () => {
    const parse = () =>
      parseJsonFrom('<html>Bad gateway</html>', 'the Gyre API at http://ci, asked GET /api/v1/builders,');
    expect(parse).toThrow(UnavailableError);
    expect(parse).toThrow(
      'the Gyre API at http://ci, asked GET /api/v1/builders, did not answer with JSON but with "<html>Bad gateway</html>"',
    );
  });
});
