import { describe, expect, it } from '@jest/globals';
import { checkDockerImages, dockerInBuildsOf } from '../../../../src/builder/agent/engine-image.js';
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

  it('goes on when the images are on the host, and asks for none when it is off', async () => {
    const backend = new FakeJobBackend();
    backend.images.add('gyre/engine:test').add('gyre/machine:test');
    await checkDockerImages(backend, BOTH);
    await checkDockerImages(new FakeJobBackend(), {});
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
});
