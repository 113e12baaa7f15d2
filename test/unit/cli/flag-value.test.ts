import { describe, expect, it } from '@jest/globals';
import { runGyre } from './run-gyre.js';

// Flags are checked with the schema of the setting they stand for, before anything starts.
describe('flags checked like the settings they stand for', () => {
  it('refuses a memory size without a unit and a services URL that is not http(s), with the fix', async () => {
    const memory = await runGyre('builder', 'join', '--slot-memory', '4', '--dir', '/nonexistent/.gyre');
    expect(memory.code).toBe(2);
    expect(memory.stderr).toContain('--slot-memory 4: "4" is 4 bytes, below the 6M that Docker allows a container');
    expect(memory.stderr).toContain('fix: for example --slot-memory 4G');
    const url = await runGyre('builder', 'join', '--services-url', 'foo', '--dir', '/nonexistent/.gyre');
    expect(url.code).toBe(2);
    expect(url.stderr).toContain('--services-url foo: must be an http:// or https:// URL');
  });

  it('refuses an agent API port that is not a port before the agent starts', async () => {
    const run = await runGyre('agent', '--api-port', 'abc');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--api-port abc: must be a port number (1-65535), or 0 for any free port');
    expect((await runGyre('agent', 'drain', '--api-port', '70000')).stderr).toContain(
      '--api-port 70000: must be a port number (1-65535)',
    );
  });
});
