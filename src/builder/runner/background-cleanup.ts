/**
 * Job removals that run after the attempt has completed (issue 21): removing a job's containers,
 * network and volume takes the engine a few hundred milliseconds, which neither the job's result
 * nor its slot needs to wait for. A builder whose engine removes more slowly than its jobs end
 * must not pile up stopped jobs, so at most `limit` removals run at once and the next job's end
 * waits for room.
 */
export class BackgroundCleanup {
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly limit: number,
    /** A removal that failed: its objects stay until the agent's next start removes them. */
    private readonly onFailure: (jobId: number, error: unknown) => void,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, not ${limit}`);
  }

  /** Starts `removal` once fewer than `limit` run; resolves as soon as it started. */
  async add(jobId: number, removal: () => Promise<void>): Promise<void> {
    while (this.running.size >= this.limit) await Promise.race(this.running);
    // Through a promise, so a removal that throws at once is reported like one that rejects.
    const started: Promise<void> = Promise.resolve()
      .then(removal)
      .catch((error: unknown) => this.onFailure(jobId, error))
      .finally(() => this.running.delete(started));
    this.running.add(started);
  }

  /** How many removals run now. */
  get size(): number {
    return this.running.size;
  }

  /** Resolves once every removal started so far has ended (a drained agent waits for them before it exits). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }
}
