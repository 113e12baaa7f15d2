import { beforeEach, describe, expect, it } from '@jest/globals';
import { buffer } from 'node:stream/consumers';
import { packSources } from '../../../../../src/builder/runner/data-steps/archives.js';
import type { DataStepContext } from '../../../../../src/builder/runner/data-steps/data-step-context.js';
import { runDataStep, type DataStep } from '../../../../../src/builder/runner/data-steps/run-data-step.js';
import { FakeJobBackend } from '../../../../support/fake-job-backend.js';
import { FakeTransfers, filesInArchive } from '../../../../support/fake-transfers.js';
import type { RunnerJob } from '../../../../../src/builder/runner/types.js';

// GIVEN a primary container's files behind the engine's archive API (in memory) and the services
// box's side of the transfers (in memory), WHEN the workspace and artifact steps run, THEN the
// archives hold exactly the paths CircleCI would move, under the names it would give them.

const PRIMARY = 'primary';
let backend: FakeJobBackend;
let transfers: FakeTransfers;
let logs: string[];

function context(): DataStepContext {
  return {
    backend,
    primary: PRIMARY,
    transfers,
    places: { home: '/home/circleci', workingDirectory: '~/project' },
    owner: { uid: 1000, gid: 1000 },
    arch: 'arch1-linux-amd64-6_85',
    job: {} as RunnerJob,
    log: (line) => logs.push(line),
  };
}

const step = <T extends DataStep['type']>(type: T, fields: object): DataStep =>
  ({ type, name: type, when: 'on_success', ...fields }) as DataStep;

beforeEach(() => {
  backend = new FakeJobBackend();
  transfers = new FakeTransfers();
  logs = [];
  const files = backend.filesOf(PRIMARY);
  files.write('/home/circleci/project/dist/app.js', 'app');
  files.write('/home/circleci/project/dist/app.js.map', 'map');
  files.write('/home/circleci/project/build/report.txt', 'report');
  files.write('/home/circleci/project/build/logs/run.log', 'log');
  files.write('/home/circleci/project/README.md', 'readme');
});

describe('persist_to_workspace', () => {
  it('keeps plain paths and globs relative to the root', async () => {
    const end = await runDataStep(
      context(),
      step('persist_to_workspace', { root: '.', paths: ['dist', 'build/*.txt'] }),
    );
    expect(end.exitCode).toBe(0);
    const files = await filesInArchive(transfers.uploadedLayers[0]!);
    expect([...files.keys()].sort()).toEqual(['build/report.txt', 'dist/app.js', 'dist/app.js.map']);
  });

  it('takes everything under the root for "."', async () => {
    await runDataStep(context(), step('persist_to_workspace', { root: 'build', paths: ['.'] }));
    expect([...(await filesInArchive(transfers.uploadedLayers[0]!)).keys()].sort()).toEqual([
      'logs/run.log',
      'report.txt',
    ]);
  });

  it('fails, naming the path, when a plain path does not exist, and uploads nothing', async () => {
    const end = await runDataStep(
      context(),
      step('persist_to_workspace', { root: '~/project', paths: ['dist', 'target'] }),
    );
    expect(end).toEqual({
      exitCode: 1,
      reason: expect.stringContaining('/home/circleci/project/target does not exist') as unknown as string,
    });
    expect(transfers.uploadedLayers).toEqual([]);
  });
});

describe('attach_workspace', () => {
  it('unpacks the upstream layers in order at `at`, a later layer winning', async () => {
    const upstream = new FakeJobBackend();
    upstream.filesOf('c').write('/w/shared.txt', 'from build');
    upstream.filesOf('c').write('/w/build-only.txt', 'build');
    transfers.addLayer('build', await buffer(packSources(upstream, 'c', [{ path: '/w', name: '' }], () => undefined)));
    const later = new FakeJobBackend();
    later.filesOf('c').write('/w/shared.txt', 'from test');
    transfers.addLayer('test', await buffer(packSources(later, 'c', [{ path: '/w', name: '' }], () => undefined)));

    const end = await runDataStep(context(), step('attach_workspace', { at: '/tmp/workspace' }));
    expect(end.exitCode).toBe(0);
    const files = backend.filesOf(PRIMARY);
    expect(files.read('/tmp/workspace/shared.txt')).toBe('from test');
    expect(files.read('/tmp/workspace/build-only.txt')).toBe('build');
    expect(logs.join('\n')).toMatch(/layer of build .*\n.*layer of test/);
  });

  it('attaches nothing, and says so, when no upstream job persisted anything', async () => {
    expect((await runDataStep(context(), step('attach_workspace', { at: '.' }))).exitCode).toBe(0);
    expect(logs).toEqual(['No upstream job persisted anything to the workspace: nothing to attach']);
  });
});

describe('store_artifacts', () => {
  it('names artifacts by the path without its leading slash by default, or by `destination`', async () => {
    await runDataStep(context(), step('store_artifacts', { path: 'build' }));
    await runDataStep(context(), step('store_artifacts', { path: 'dist/app.js', destination: 'bundle/app.js' }));
    expect([...(await filesInArchive(transfers.artifacts[0]!)).keys()].sort()).toEqual([
      'home/circleci/project/build/logs/run.log',
      'home/circleci/project/build/report.txt',
    ]);
    expect([...(await filesInArchive(transfers.artifacts[1]!)).keys()]).toEqual(['bundle/app.js']);
    expect(logs[0]).toBe('Stored 2 artifacts (9 bytes) from /home/circleci/project/build');
  });

  it('warns about a missing path and succeeds, as CircleCI does', async () => {
    expect((await runDataStep(context(), step('store_artifacts', { path: '/nowhere' }))).exitCode).toBe(0);
    expect(logs).toEqual(['Warning: /nowhere does not exist; no artifacts were stored']);
    expect(transfers.artifacts).toEqual([]);
  });
});

describe('store_test_results', () => {
  it("sends the folder and logs the services box's warnings without failing", async () => {
    transfers.receipt = { tests: 12, failures: 1, warnings: ['build/bad.xml: not JUnit XML'] };
    const end = await runDataStep(context(), step('store_test_results', { path: 'build' }));
    expect(end.exitCode).toBe(0);
    expect([...(await filesInArchive(transfers.testResults[0]!)).keys()].sort()).toEqual([
      'build/logs/run.log',
      'build/report.txt',
    ]);
    expect(logs).toEqual([
      'Warning: build/bad.xml: not JUnit XML',
      'Stored the results of 12 tests from /home/circleci/project/build (1 failed)',
    ]);
  });
});

describe('a transfer that fails', () => {
  it('fails the step with the reason instead of throwing', async () => {
    transfers.uploadArtifacts = () => Promise.reject(new Error('artifacts are over the size limit of 10 bytes'));
    const end = await runDataStep(context(), step('store_artifacts', { path: 'build' }));
    expect(end.exitCode).toBe(1);
    expect(end.reason).toContain('over the size limit of 10 bytes');
    expect(logs.at(-1)).toContain('store_artifacts could not move its data');
  });
});
