/**
 * One rerun with SSH on the agent (the runner's JobSshAccess): lets the lease's keys into the
 * job's primary container through the builder's gateway while the job runs, and after its steps
 * keeps the job up while someone is connected, ending it once nobody has been for the idle window
 * or the longest wait is over. What it sees goes to the services box as `held` reports, for the
 * job page.
 */
import type { JobSsh, SshAccessKey, SshReport } from '../../../protocol/index.js';
import { formatDuration } from '../../../shared/durations.js';
import type { JobSshAccess, SshLanding } from '../../runner/index.js';
import type { SshTarget } from './ssh-gateway.js';

/** What a job needs of the builder's gateway. */
export interface SshDoor {
  allow(user: string, target: SshTarget): void;
  revoke(user: string): void;
  connected(user: string): number;
}

export interface JobSshOptions {
  readonly jobId: number;
  readonly lease: JobSsh;
  /** How users reach the gateway, for the job's log. */
  readonly address: { readonly host: string; readonly port: number };
  /** Sends a `held` report; failures are the reporter's to log. */
  readonly report: (event: Extract<SshReport['event'], { kind: 'held' }>) => void;
  /** How often the wait looks at the sessions. @default 1 s */
  readonly pollMs?: number;
  readonly now?: () => number;
}

export class JobSshAccessOnAgent implements JobSshAccess {
  readonly user: string;
  #keys: readonly SshAccessKey[];
  #landing: SshLanding | undefined;
  #closed = false;
  /** Ends the wait early, saying why: the builder stops, or its drain deadline is near. */
  #release = new AbortController();
  #holding = false;

  constructor(
    private readonly door: SshDoor,
    private readonly options: JobSshOptions,
  ) {
    this.user = `job-${options.jobId}`;
    this.#keys = options.lease.keys;
  }

  get command(): string {
    return `ssh -p ${this.options.address.port} ${this.user}@${this.options.address.host}`;
  }

  open(landing: SshLanding): void {
    this.#landing = landing;
    this.#allow();
  }

  /** The keys a heartbeat brought: a key no longer listed is refused, and its sessions end. */
  renewKeys(keys: readonly SshAccessKey[]): void {
    this.#keys = keys;
    this.#allow();
  }

  /** Whether the steps have ended and the job waits for sessions. */
  get holding(): boolean {
    return this.#holding;
  }

  /** Ends the wait (if any, or when it comes) with `reason` in the job's log; the job then completes as its steps ended. */
  release(reason: string): void {
    if (!this.#release.signal.aborted) this.#release.abort(reason);
  }

  /** Takes back a release that has not ended a wait yet (a drain was canceled while the steps ran). */
  resume(): void {
    if (this.#release.signal.aborted && !this.#holding) this.#release = new AbortController();
  }

  async hold(
    signal: AbortSignal | undefined,
    log: (line: string) => void,
    prepare: () => Promise<void> = () => Promise.resolve(),
  ): Promise<void> {
    // Holding from here on, so that a stop from now on completes as the steps ended.
    this.#holding = true;
    try {
      await prepare();
      await this.#wait(signal, log);
    } finally {
      this.#holding = false;
    }
  }

  async #wait(signal: AbortSignal | undefined, log: (line: string) => void): Promise<void> {
    const now = this.options.now ?? Date.now;
    const idleMs = this.options.lease.idleSeconds * 1000;
    const maxMs = this.options.lease.maxSeconds * 1000;
    const until = now() + maxMs;
    let lastConnected = now();
    let reported: number | undefined;
    log(
      `The steps have ended. The job stays up for SSH: ${this.command} (for ${formatDuration(idleMs)} while nobody is connected, ${formatDuration(maxMs)} at most).`,
    );
    const either = signal ? AbortSignal.any([signal, this.#release.signal]) : this.#release.signal;
    for (;;) {
      if (this.#release.signal.aborted)
        return log(`${String(this.#release.signal.reason)}: the job ends, and its SSH sessions with it.`);
      if (signal?.aborted) return log('The job is stopping (canceled, or its lease was lost): its SSH sessions end.');
      const connected = this.door.connected(this.user);
      if (connected > 0) lastConnected = now();
      const idleUntil = Math.min(lastConnected + idleMs, until);
      if (now() >= until) return log(`The longest wait for SSH (${formatDuration(maxMs)}) is over: the job ends.`);
      if (now() >= idleUntil) return log(`Nobody was connected for ${formatDuration(idleMs)}: the job ends.`);
      if (connected !== reported) {
        reported = connected;
        this.options.report({
          kind: 'held',
          idleUntil: new Date(connected > 0 ? until : idleUntil).toISOString(),
          until: new Date(until).toISOString(),
          connected,
        });
      }
      await pause(this.options.pollMs ?? 1_000, either);
    }
  }

  close(): void {
    this.#closed = true;
    this.door.revoke(this.user);
  }

  #allow(): void {
    if (this.#closed || this.#landing === undefined) return;
    this.door.allow(this.user, { ...this.#landing, keys: this.#keys });
  }
}

/** Waits `ms`, or less when `signal` aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
