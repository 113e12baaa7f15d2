import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../src/shared/package-files.js';

// The built CLI in a shell pipeline whose reader goes away at once, as `gyre --help | head` does
// once head has its lines: `true` reads nothing and exits before the CLI has started.
function intoClosedPipe(args: string): { code: string; stderr: string } {
  const cli = join(packageRoot, 'dist/cli.js');
  const result = spawnSync('bash', ['-c', `"${process.execPath}" "${cli}" ${args} | true; echo "\${PIPESTATUS[0]}"`], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: result.stdout.trim(), stderr: result.stderr };
}

describe('the CLI writing into a pipe its reader closed', () => {
  it.each(['--help', 'down --help', '--version'])('`gyre %s | true` ends quietly with 0', (args) => {
    expect(intoClosedPipe(args)).toEqual({ code: '0', stderr: '' });
  });
});
