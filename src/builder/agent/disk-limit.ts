/**
 * GYRE_JOB_DISK is checked once, when the builder starts: the storage driver decides whether a
 * container's own file system can be held to a size (overlay2 only on xfs mounted with pquota),
 * and a builder that would silently run jobs without the limit an administrator set must not
 * take any. Asking the engine beats guessing from `docker info`: it answers for its own driver,
 * backing file system and mount options at once.
 */
import { formatMemorySize } from '../../config/index.js';
import type { JobBackend } from '../../docker/index.js';
import { InvalidInputError } from '../../shared/errors.js';
import { builderObjectLabels } from '../../shared/labels.js';

export async function checkDiskLimit(
  backend: JobBackend,
  options: { readonly helperImage: string; readonly builderName: string; readonly jobDiskBytes: number },
): Promise<void> {
  const refusal = await backend.diskLimitRefusal(
    options.helperImage,
    options.jobDiskBytes,
    builderObjectLabels(options.builderName),
  );
  if (refusal === undefined) return;
  throw new InvalidInputError('builder settings', [
    {
      input: 'GYRE_JOB_DISK',
      message: `is ${formatMemorySize(options.jobDiskBytes)}, but this builder's Docker Engine cannot hold a container's file system to a size: ${refusal}`,
      hint: 'unset GYRE_JOB_DISK to run jobs without a disk limit, or give the engine a storage driver with quotas (overlay2 with /var/lib/docker on xfs mounted with the pquota option, btrfs or zfs) and start the builder again',
    },
  ]);
}
