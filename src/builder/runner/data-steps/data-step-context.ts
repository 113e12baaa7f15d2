/**
 * What the data steps of one job share: the primary container, the transfers port, where the
 * container's home and working directory are, and the step's log.
 */
import type { JobBackend } from '../../../docker/index.js';
import type { RunnerJob } from '../types.js';
import type { ContainerOwner, ContainerPlaces } from './container-paths.js';
import type { HelperContainers } from './tar-helper.js';
import type { DataTransfers } from './transfers.js';

export interface DataStepContext {
  readonly backend: JobBackend;
  readonly primary: string;
  readonly transfers: DataTransfers;
  readonly places: ContainerPlaces;
  /** Who owns what the steps put into the container. */
  readonly owner: ContainerOwner;
  /** The primary container's `{{ arch }}`, as in `arch1-linux-amd64-6_85`. */
  readonly arch: string;
  readonly job: RunnerJob;
  /** Helper containers, when the agent's image is known: caches move through them (tar-helper.ts). */
  readonly helper?: HelperContainers;
  /** A line in the step's log. */
  log(line: string): void;
}

/** How a data step ended: 0, or 1 with the reason the job's message gives. */
export interface DataStepEnd {
  readonly exitCode: number;
  readonly reason?: string;
}

export const SUCCEEDED: DataStepEnd = { exitCode: 0 };

/** A failed step whose reason is also the last line of its log. */
export function failed(ctx: Pick<DataStepContext, 'log'>, reason: string): DataStepEnd {
  ctx.log(reason);
  return { exitCode: 1, reason: `failed: ${reason}` };
}
