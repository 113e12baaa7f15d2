/**
 * Runs tasks one at a time per key, in arrival order, inside this process: one fetch per
 * repository mirror (other processes are handled by git's own lock files).
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `task` once every earlier task with the same key has settled. */
  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release = (): void => undefined;
    const current = new Promise<void>((resolve) => (release = resolve));
    // The chain only ever resolves, so one failed task never blocks or fails the next.
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    try {
      return await task();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** How many keys have a task running or waiting; for tests and diagnostics. */
  get activeKeys(): number {
    return this.tails.size;
  }
}
