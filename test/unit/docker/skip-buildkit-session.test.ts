import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { packageRoot } from '../../../src/shared/package-files.js';

/** Requires dockerode in a fresh Node process, after the hook when `hooked`; what it loaded. */
function loadDockerode(hooked: boolean): { grpc: boolean; session: string } {
  const hook = join(packageRoot, 'src/docker/skip-buildkit-session.ts');
  const script = `
    ${hooked ? `await import(${JSON.stringify(hook)});` : ''}
    const { createRequire } = await import('node:module');
    const require = createRequire(${JSON.stringify(join(packageRoot, 'package.json'))});
    // As Gyre loads it: an ES import of the CommonJS package, whose own require()s the hook must see.
    const { default: Docker } = await import('dockerode');
    const session = require('dockerode/lib/session.js');
    let answer = 'ran';
    try { session(new Docker(), {}, () => undefined); } catch (error) { answer = error.message; }
    console.log(JSON.stringify({ grpc: Object.keys(require.cache).some((file) => file.includes('@grpc')), session: answer }));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    cwd: packageRoot,
  });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as { grpc: boolean; session: string };
}

// Node runs the hook's TypeScript source itself (type stripping), as it has no imports of its own.
describe('skip-buildkit-session', () => {
  it('keeps gRPC out of a process that requires dockerode, and says so if a session is ever asked for', () => {
    expect(loadDockerode(false).grpc).toBe(true);
    const hooked = loadDockerode(true);
    expect(hooked.grpc).toBe(false);
    expect(hooked.session).toContain('BuildKit sessions (buildImage with version "2") are left out of gyre');
  });
});
