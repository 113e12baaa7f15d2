/**
 * Slows password guessing, separately on each listener (the user port and the admin console do
 * not share counters, so guessing on one never locks out the other). Within a minute it allows:
 * - 10 wrong passwords for one account from one address, so a guesser is stopped quickly while
 *   the account's owner, elsewhere, is not locked out by it;
 * - 50 for one account from all addresses together, so spreading guesses over many addresses
 *   gains little;
 * - 100 from one address for all accounts (higher, because a whole office can share one address
 *   behind NAT, and one colleague's typos must not lock out the rest).
 * Past a limit, even a right password is refused until the minute has passed, so a guesser
 * learns nothing from the answer. The address is the client's: behind a reverse proxy, set
 * GYRE_TRUSTED_PROXIES so that it is the forwarded one. Kept in memory: one services app per
 * installation.
 */
export const MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS = 10;
export const MAX_FAILURES_PER_ACCOUNT = 50;
export const MAX_FAILURES_PER_ADDRESS = 100;
export const WINDOW_MS = 60_000;

/** One sign-in attempt: on which listener, for which login, from which client address. */
export interface Attempt {
  readonly listener: string;
  readonly login: string;
  readonly address: string;
}

export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Whether another attempt may be checked. */
  allows(attempt: Attempt): boolean {
    return this.limits(attempt).every(([key, max]) => this.recent(key).length < max);
  }

  recordFailure(attempt: Attempt): void {
    for (const [key] of this.limits(attempt)) this.failures.set(key, [...this.recent(key), this.now()]);
  }

  /** Seconds until the attempt would be allowed again. */
  retryAfterSeconds(attempt: Attempt): number {
    const waits = this.limits(attempt)
      .filter(([key, max]) => this.recent(key).length >= max)
      .map(([key, max]) => (this.recent(key).at(-max) ?? this.now()) + WINDOW_MS - this.now());
    return Math.max(1, Math.ceil(Math.max(0, ...waits) / 1000));
  }

  private limits({ listener, login, address }: Attempt): [key: string, max: number][] {
    const account = login.toLowerCase();
    return [
      [`${listener}|pair|${account}|${address}`, MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS],
      [`${listener}|account|${account}`, MAX_FAILURES_PER_ACCOUNT],
      [`${listener}|address|${address}`, MAX_FAILURES_PER_ADDRESS],
    ];
  }

  private recent(key: string): number[] {
    const since = this.now() - WINDOW_MS;
    const kept = (this.failures.get(key) ?? []).filter((at) => at > since);
    if (kept.length === 0) this.failures.delete(key);
    else this.failures.set(key, kept);
    return kept;
  }
}
