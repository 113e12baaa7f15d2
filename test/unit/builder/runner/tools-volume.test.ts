import { describe, expect, it } from '@jest/globals';
import { ToolsVolume } from '../../../../src/builder/runner/tools-volume.js';
import { circleciScript } from '../../../../src/builder/runner/test-splitting.js';
import { LABELS } from '../../../../src/shared/labels.js';
import { FakeJobBackend } from '../../../support/fake-job-backend.js';

// GIVEN an in-memory engine with the helper image: what the tools volume makes and removes.
const HELPER = 'gyre/app:test';

function engine(): FakeJobBackend {
  const backend = new FakeJobBackend();
  backend.images.add(HELPER);
  return backend;
}

describe('ToolsVolume', () => {
  it("makes one volume of the builder's, once, and has root write the script into it from stdin", async () => {
    const backend = engine();
    const tools = new ToolsVolume(backend, 'tools-builder', HELPER);
    const [first, second] = await Promise.all([tools.name(), tools.name()]);
    expect(first).toBe(second);
    expect(first).toMatch(/^gyre-tools-[0-9a-f]{12}$/);
    expect(backend.volumes.get(first)?.labels).toEqual({ [LABELS.managed]: 'true', [LABELS.builder]: 'tools-builder' });
    expect(backend.ran).toHaveLength(1);
    expect(backend.ran[0]).toMatchObject({
      image: HELPER,
      user: '0:0',
      volumes: [{ name: first, target: '/tools' }],
      readOnlyRoot: true,
      stdin: Buffer.from(circleciScript()),
    });
    expect(backend.ran[0]!.entrypoint?.join(' ')).toContain('cat > /tools/circleci && chmod 0755 /tools/circleci');
  });

  it('removes a volume the script could not be written into, rejects with the output, and tries again on the next call', async () => {
    const backend = engine();
    backend.helperRun = { exitCode: 1, output: 'sh: cannot create /tools/circleci: Read-only file system\n' };
    const tools = new ToolsVolume(backend, 'tools-builder', HELPER);
    await expect(tools.name()).rejects.toThrow(
      /exited with 1: sh: cannot create \/tools\/circleci: Read-only file system$/,
    );
    expect(backend.volumes.size).toBe(0);
    backend.helperRun = { exitCode: 0, output: '' };
    await expect(tools.name()).resolves.toMatch(/^gyre-tools-/);
    expect(backend.volumes.size).toBe(1);
  });

  it('removes the volume it made, and nothing when it made none', async () => {
    const backend = engine();
    const tools = new ToolsVolume(backend, 'tools-builder', HELPER);
    await tools.remove();
    await tools.name();
    await tools.remove();
    expect(backend.volumes.size).toBe(0);
  });
});
