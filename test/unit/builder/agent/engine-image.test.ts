import { describe, expect, it } from '@jest/globals';
import { checkDockerImages, checkEngine, dockerInBuildsOf } from '../../../../src/builder/agent/engine-image.js';
import { ExitCode, InvalidInputError } from '../../../../src/shared/errors.js';
import { FakeJobBackend } from '../../../support/fake-job-backend.js';

// GIVEN a builder starting with GYRE_DOCKER_IN_BUILDS on, its images present on the host or not.
const BOTH = { engineImage: 'gyre/engine:test', machineImage: 'gyre/machine:test' };

describe('checking Docker in builds at start', () => {
  it('offers what its images allow: nothing, an engine per job, or the machine executor too', () => {
    expect(dockerInBuildsOf({})).toBe('off');
    expect(dockerInBuildsOf({ engineImage: 'gyre/engine:test' })).toBe('remote');
    expect(dockerInBuildsOf(BOTH)).toBe('machine');
  });

  it('goes on when the images are on the host, giving their ids for jobs to run them by, and asks for none when it is off', async () => {
    const backend = new FakeJobBackend();
    backend.images.add('gyre/engine:test').add('gyre/machine:test');
    expect(await checkDockerImages(backend, BOTH)).toEqual({
      engineImage: 'sha256:gyre/engine:test',
      machineImage: 'sha256:gyre/machine:test',
    });
    expect(await checkDockerImages(new FakeJobBackend(), {})).toEqual({});
  });

  it('refuses to start, exit 2, naming each missing image and its setting, and never pulls one', async () => {
    const backend = new FakeJobBackend();
    backend.pullable.add('gyre/engine:test').add('gyre/machine:test');
    backend.images.add('gyre/engine:test');
    const failure = await checkDockerImages(backend, BOTH).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(InvalidInputError);
    expect((failure as InvalidInputError).exitCode).toBe(ExitCode.invalidInput);
    expect((failure as InvalidInputError).problems).toEqual([
      expect.objectContaining({
        input: 'GYRE_DOCKER_IN_BUILDS',
        message: "is machine, but gyre/machine:test (GYRE_MACHINE_IMAGE) is not on this builder's Docker host",
      }),
    ]);
    expect(backend.pulls).toEqual([]);
  });

  it("starts a job's engine once, as a job would get one, and removes everything it made", async () => {
    const backend = new FakeJobBackend();
    backend.images.add('gyre/engine:test');
    // The check's engine is the first container; its entrypoint writes these.
    for (const name of ['ca.pem', 'cert.pem', 'key.pem']) backend.filesOf('c1').write(`/certs/${name}`, 'pem\n');
    await checkEngine(backend, BOTH, 'b1');
    expect(backend.started).toEqual([expect.objectContaining({ image: 'gyre/engine:test', rootlessEngine: true })]);
    expect(backend.removals).toEqual([
      {
        labels: { 'io.gyre.managed': 'true', 'io.gyre.builder': 'b1', 'io.gyre.check': 'engine' },
        owner: "the engine's start check",
      },
    ]);
    expect([...backend.containers.keys(), ...backend.networks.keys(), ...backend.volumes.keys()]).toEqual([]);
    await checkEngine(new FakeJobBackend(), {}, 'b1');
  });

  it('refuses to start, exit 2, when the engine does not answer, saying what the kernel must allow, and still cleans up', async () => {
    const backend = new FakeJobBackend();
    backend.images.add('gyre/engine:test');
    backend.engineAnswers = false;
    const failure = await checkEngine(backend, { engineImage: 'gyre/engine:test' }, 'b1').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect((failure as InvalidInputError).exitCode).toBe(ExitCode.invalidInput);
    expect((failure as InvalidInputError).problems).toEqual([
      {
        input: 'GYRE_DOCKER_IN_BUILDS',
        message:
          "is remote, but a job's rootless Docker engine does not start on this host: the job's Docker engine did not answer within 120 s (exit 124)",
        hint: expect.stringContaining('unprivileged user namespaces'),
      },
    ]);
    expect(backend.removals).toHaveLength(1);
  });
});
