import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { packageRoot } from '../../src/shared/package-files.js';

// The README's GyreEnvironment example must be the file the integration suite runs, word for word.
describe("the README's GyreEnvironment example", () => {
  it('is exactly test/integration/gyre-environment-readme.test.ts', () => {
    const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Testing with Gyre'));
    const example = /```ts\n([\s\S]*?)\n```/.exec(section)?.[1];
    expect(example).toBe(
      readFileSync(join(packageRoot, 'test/integration/gyre-environment-readme.test.ts'), 'utf8').trimEnd(),
    );
  });
});
