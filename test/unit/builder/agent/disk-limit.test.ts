import { describe, expect, it } from '@jest/globals';
import { checkDiskLimit } from '../../../../src/builder/agent/disk-limit.js';
import { ExitCode, InvalidInputError } from '../../../../src/shared/errors.js';
import { FakeJobBackend } from '../../../support/fake-job-backend.js';

// GIVEN a builder starting with GYRE_JOB_DISK set, on an engine that takes or refuses the limit.
const OPTIONS = { helperImage: 'gyre/app:test', builderName: 'b1', jobDiskBytes: 20 * 1024 ** 3 };

describe('checking GYRE_JOB_DISK at start', () => {
  it('asks the engine once, with the helper image and the size, and goes on when it takes the limit', async () => {
    const backend = new FakeJobBackend();
    await checkDiskLimit(backend, OPTIONS);
    expect(backend.diskLimitChecks).toEqual([{ image: 'gyre/app:test', bytes: 20 * 1024 ** 3 }]);
  });

  it("refuses to start, exit 2, naming the setting, the engine's words and both ways out", async () => {
    const backend = new FakeJobBackend();
    backend.diskLimitAnswer = "--storage-opt is supported only for overlay over xfs with 'pquota' mount option";
    const failure = await checkDiskLimit(backend, OPTIONS).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(InvalidInputError);
    const error = failure as InvalidInputError;
    expect(error.exitCode).toBe(ExitCode.invalidInput);
    expect(error.problems).toEqual([
      {
        input: 'GYRE_JOB_DISK',
        message:
          "is 20G, but this builder's Docker Engine cannot hold a container's file system to a size: --storage-opt is supported only for overlay over xfs with 'pquota' mount option",
        hint: expect.stringMatching(/^unset GYRE_JOB_DISK .* xfs mounted with the pquota option, btrfs or zfs/),
      },
    ]);
  });
});
