import { describe, expect, it } from '@jest/globals';
import { TOOLS_RETRY_MS, ToolsVolume } from '../../../../src/builder/runner/tools-volume.js';
import { circleciScript } from '../../../../src/builder/runner/test-splitting.js';
import { LABELS } from '../../../../src/shared/labels.js';
import { FakeJobBackend } from '../../../support/fake-job-backend.js';

// GIVEN an in-memory engine with the helper image and a clock the test moves: what the tools
// volume makes, when it tries again, and what it removes.
const HELPER = 'gyre/app:test';

function setUp() {
  const backend = new FakeJobBackend();
  backend.images.add(HELPER);
  const failures: unknown[] = [];
  const clock = { now: 1_000_000 };
  const tools = new ToolsVolume(
    backend,
    'tools-builder',
    HELPER,
    (error) => failures.push(error),
    () => clock.now,
  );
  return { backend, failures, clock, tools };
}

describe('ToolsVolume', () => {
  it("makes one volume of the builder's, once, and has root write the script into it from stdin, with no network", async () => {
    const { backend, tools } = setUp();
    const [first, second] = await Promise.all([tools.name(), tools.name()]);
    expect(first).toBe(second);
    expect(first).toMatch(/^gyre-tools-[0-9a-f]{12}$/);
    expect(backend.volumes.get(first!)?.labels).toEqual({
      [LABELS.managed]: 'true',
      [LABELS.builder]: 'tools-builder',
    });
    expect(backend.ran).toHaveLength(1);
    expect(backend.ran[0]).toMatchObject({
      image: HELPER,
      user: '0:0',
      volumes: [{ name: first, target: '/tools' }],
      network: { name: 'none' },
      readOnlyRoot: true,
      stdin: Buffer.from(circleciScript()),
    });
    expect(backend.ran[0]!.entrypoint?.join(' ')).toContain('cat > /tools/circleci && chmod 0755 /tools/circleci');
  });

  it('reports a volume the script could not be written into, removes it, gives jobs none for a minute, then tries again', async () => {
    const { backend, failures, clock, tools } = setUp();
    backend.helperRun = { exitCode: 1, output: 'sh: cannot create /tools/circleci: Read-only file system\n' };
    expect(await tools.name()).toBeUndefined();
    expect(failures.map(String)).toEqual([
      expect.stringMatching(/exited with 1: sh: cannot create \/tools\/circleci: Read-only file system$/),
    ]);
    expect(backend.volumes.size).toBe(0);
    backend.helperRun = { exitCode: 0, output: '' };
    clock.now += TOOLS_RETRY_MS - 1;
    expect(await tools.name()).toBeUndefined();
    expect(backend.ran).toHaveLength(1);
    clock.now += 1;
    expect(await tools.name()).toMatch(/^gyre-tools-/);
    expect([backend.ran.length, backend.volumes.size, failures.length]).toEqual([2, 1, 1]);
  });

  it('removes the volume it made, and nothing when it made none', async () => {
    const { backend, tools } = setUp();
    await tools.remove();
    await tools.name();
    await tools.remove();
    expect(backend.volumes.size).toBe(0);
  });
});
