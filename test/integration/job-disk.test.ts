import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Docker from 'dockerode';
import { checkDiskLimit } from '../../src/builder/agent/disk-limit.js';
import { runJob } from '../../src/builder/runner/index.js';
import { DockerJobBackend } from '../../src/docker/index.js';
import { InvalidInputError } from '../../src/shared/errors.js';
import { shipImage, startNetnsEngine, type NetnsEngine } from '../support/netns-engine.js';
import { image, JOB_IMAGE, makeJob, RecordingSink, run } from '../support/runner-jobs.js';

// GIVEN two engines: this machine's own, whose storage driver cannot size a container's file
// system (overlay2 on ext4, and this kernel has no xfs quotas), and a second one in a network
// namespace whose data root is a btrfs file system, where Docker's btrfs driver can.
const MiB = 1024 ** 2;
let engine: NetnsEngine;
let btrfs: DockerJobBackend;

beforeAll(async () => {
  engine = await startNetnsEngine({
    name: 'diskq',
    subnet: '10.250.21',
    bip: '172.31.21.1/24',
    btrfsBytes: 3 * 1024 ** 3,
  });
  await shipImage(engine, JOB_IMAGE);
  btrfs = new DockerJobBackend(new Docker({ socketPath: engine.socketPath }));
}, 180_000);

afterAll(async () => {
  await engine?.stop();
}, 120_000);

describe('GYRE_JOB_DISK', () => {
  it("holds a job's container to it where the storage driver can: a step that writes past it fails with the kernel's words", async () => {
    const sink = new RecordingSink();
    // On btrfs the image's own files count too (the container's snapshot references them):
    // debian's slim image is below 100 MiB, so 100 MiB fit and another 400 MiB do not.
    const job = makeJob(
      [
        run('dd if=/dev/zero of=/fits bs=1M count=100 status=none && echo wrote 100 MiB'),
        run('dd if=/dev/zero of=/too-much bs=1M count=400 status=none'),
      ],
      { docker: { primary: image(), services: [] } },
    );

    const result = await runJob(btrfs, job, sink, {
      builderName: `disk-test-${process.pid}`,
      room: { cpus: 1, memoryBytes: 1024 * MiB },
      killGraceMs: 500,
      diskBytes: 300 * MiB,
    });

    expect(sink.text(1)).toBe('wrote 100 MiB\n');
    expect(result.outcome).toBe('failed');
    expect(result.failedStep).toMatchObject({ index: 2, exitCode: 1 });
    expect(sink.text(2)).toMatch(/Disk quota exceeded/);
  }, 120_000);

  it('lets a builder start where the engine takes the limit', async () => {
    await expect(
      checkDiskLimit(btrfs, { helperImage: JOB_IMAGE, builderName: 'disk-probe', jobDiskBytes: 300 * MiB }),
    ).resolves.toBeUndefined();
  }, 60_000);

  it("refuses a builder on this machine's engine, which cannot size a container's file system, in the engine's words", async () => {
    const local = new Docker();
    const info = (await local.info()) as { Driver: string; DriverStatus: [string, string][] };
    expect([info.Driver, Object.fromEntries(info.DriverStatus)['Backing Filesystem']]).toEqual(['overlay2', 'extfs']);
    const before = (await local.listContainers({ all: true })).length;

    const refused = await checkDiskLimit(new DockerJobBackend(local), {
      helperImage: JOB_IMAGE,
      builderName: 'disk-probe',
      jobDiskBytes: 300 * MiB,
    }).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(refused).toBeInstanceOf(InvalidInputError);
    expect((refused as Error).message).toContain('GYRE_JOB_DISK: is 300M');
    expect((refused as Error).message).toContain('--storage-opt is supported only for overlay over xfs');
    // The probe leaves nothing behind.
    expect((await local.listContainers({ all: true })).length).toBe(before);
  }, 60_000);
});
