/**
 * A wake-up call for the agent's loop: it waits until something changed (a job ended, a drain
 * was asked for, the builder's state moved) or a timeout passed, whichever comes first.
 */
export class Wakeup {
  private waiters: (() => void)[] = [];

  /** Resolves at the next {@link wake}, or after `timeoutMs`. */
  wait(timeoutMs?: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(done, timeoutMs);
      const waiters = this.waiters;
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      waiters.push(done);
    });
  }

  wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const done of waiters) done();
  }
}
