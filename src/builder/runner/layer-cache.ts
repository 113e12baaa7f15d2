/**
 * `docker_layer_caching`: a volume per builder and project that holds a job engine's data root
 * (images, build cache) from one job of the project to the next, as CircleCI's layer caching does.
 *
 * - One job at a time: two engines on one data root would corrupt it, so a job that finds the
 *   project's cache held by another job of this builder gets an empty engine, as on CircleCI.
 * - Not for untrusted builds: a fork's pull request (one that gets no secrets) would write layers
 *   that the project's own builds then run; its engine starts empty.
 * - Capped: measured when a job takes it, a cache past the cap is emptied first. A job can grow
 *   it past the cap meanwhile, by what it pulls and builds.
 * - Kept across the agent's restarts: the volume carries none of the labels by which job and
 *   builder cleanup remove objects, only `io.gyre.layer-cache` (its project) and the builder's.
 */
import { formatRoundedByteSize } from '../../shared/byte-size.js';
import { LABELS } from '../../shared/labels.js';
import { messageOf } from '../../shared/errors.js';
import type { JobBackend } from '../../docker/index.js';

/** A project's cache, taken by one job until it ends (after its engine is removed). */
export interface TakenLayerCache {
  readonly volume: string;
  release(): void;
}

const PREFIX = 'docker_layer_caching: ';

export class LayerCaches {
  private readonly held = new Set<number>();
  /** Projects whose cache an engine failed to start on: emptied when a job next takes it. */
  private readonly distrusted = new Set<number>();

  /** @param maxBytes the most a cache may hold when a job takes it (GYRE_LAYER_CACHE_SIZE) */
  constructor(
    private readonly builderName: string,
    readonly maxBytes: number,
  ) {}

  /** The project's cache, or why the job's engine starts empty instead. */
  take(projectId: number, untrusted: boolean): TakenLayerCache | string {
    if (untrusted)
      return "this build of a fork's pull request gets no layer cache (its layers would reach the project's own builds); the engine starts empty";
    if (this.held.has(projectId))
      return "another job of this project holds this builder's layer cache; the engine starts empty";
    this.held.add(projectId);
    return {
      volume: `gyre-layer-cache-${this.builderName}-p${projectId}`,
      release: () => this.held.delete(projectId),
    };
  }

  /**
   * An engine did not start on the project's cache: a job may have broken its data root (it can
   * write there through the engine), so the next job that takes it starts it empty rather than
   * failing the same way.
   */
  distrust(projectId: number): void {
    this.distrusted.add(projectId);
  }

  /**
   * The volume for the job's engine, made, or emptied when it grew past the cap; says which in the
   * job's log. Undefined, and the engine starts empty, when the cache cannot be used: a container
   * of an earlier engine still mounts it (left by a crash, until the next start's cleanup), or
   * the engine could not report it. Never throws: the cache only ever saves time.
   */
  async prepare(
    backend: JobBackend,
    volume: string,
    projectId: number,
    log: (line: string) => void,
  ): Promise<string | undefined> {
    try {
      const usage = await backend.volumeUsage(volume);
      if (usage !== undefined && usage.containers > 0) {
        log(`${PREFIX}the layer cache is still used by an engine left from before; this engine starts empty.`);
        return undefined;
      }
      if (usage !== undefined && this.distrusted.has(projectId)) {
        log(`${PREFIX}the last engine on the layer cache did not start; it starts empty again.`);
        await backend.removeVolume(volume);
        // Only once it is gone: a removal that failed leaves it distrusted for the next job.
        this.distrusted.delete(projectId);
      } else if (usage === undefined)
        log(`${PREFIX}the first job of the project with a layer cache on this builder; the engine starts empty.`);
      else if (usage.bytes === undefined || usage.bytes <= this.maxBytes) {
        const size = usage.bytes === undefined ? 'size unknown' : formatRoundedByteSize(usage.bytes);
        log(`${PREFIX}the engine starts from this project's layer cache on this builder (${size}).`);
        return volume;
      } else {
        log(
          `${PREFIX}the layer cache had grown to ${formatRoundedByteSize(usage.bytes)}, past its ${formatRoundedByteSize(this.maxBytes)} (GYRE_LAYER_CACHE_SIZE); it starts empty again.`,
        );
        await backend.removeVolume(volume);
      }
      await backend.createVolume(volume, {
        [LABELS.layerCache]: String(projectId),
        [LABELS.builder]: this.builderName,
      });
      return volume;
    } catch (error) {
      log(`${PREFIX}the layer cache could not be read (${messageOf(error)}); this engine starts empty.`);
      return undefined;
    }
  }
}
