/**
 * Slows password guessing: at most 10 wrong passwords a minute per login, and 100 per client
 * address (higher, because a whole office can share one address behind NAT, and one colleague's
 * typos must not lock out the rest). Past that, even a right password is refused until the
 * minute has passed, so a guesser learns nothing from the answer. Kept in memory: one services
 * app per installation.
 */
export const MAX_FAILURES_PER_LOGIN = 10;
export const MAX_FAILURES_PER_ADDRESS = 100;
export const WINDOW_MS = 60_000;

export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Whether another attempt may be checked for this login from this address. */
  allows(login: string, address: string): boolean {
    const [byLogin, byAddress] = this.keys(login, address) as [string, string];
    return (
      this.recent(byLogin).length < MAX_FAILURES_PER_LOGIN && this.recent(byAddress).length < MAX_FAILURES_PER_ADDRESS
    );
  }

  recordFailure(login: string, address: string): void {
    for (const key of this.keys(login, address)) this.failures.set(key, [...this.recent(key), this.now()]);
  }

  /** Seconds until the oldest failure leaves the window. */
  retryAfterSeconds(login: string, address: string): number {
    const oldest = Math.min(...this.keys(login, address).map((key) => this.recent(key)[0] ?? this.now()));
    return Math.max(1, Math.ceil((oldest + WINDOW_MS - this.now()) / 1000));
  }

  private keys(login: string, address: string): string[] {
    return [`login:${login.toLowerCase()}`, `address:${address}`];
  }

  private recent(key: string): number[] {
    const since = this.now() - WINDOW_MS;
    const kept = (this.failures.get(key) ?? []).filter((at) => at > since);
    if (kept.length === 0) this.failures.delete(key);
    else this.failures.set(key, kept);
    return kept;
  }
}
