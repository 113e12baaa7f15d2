/**
 * One leased job from ack to completion: acks the lease, runs the job with the runner, renews the
 * lease every heartbeat (learning of a cancel there), ships output and step reports in order, and
 * completes the attempt once every log chunk is acknowledged.
 *
 * A stale lease (409) at any point kills the job's containers at once and ends the session without
 * another write: the services box has already requeued the job.
 */
import type { JobBackend } from '../../docker/index.js';
import type { Logger } from 'pino';
import {
  HEARTBEAT_INTERVAL_MS,
  type BuilderStatus,
  type JobLease,
  type JobOutcome,
  type LeaseToken,
  type SshReport,
  leaseTokenOf,
} from '../../protocol/index.js';
import {
  cleanupAttempt,
  runJob,
  type JobResult,
  type RunJobOptions,
  type RunnerSink,
  type StepEvent,
} from '../runner/index.js';
import { LogBuffer } from './log-buffer.js';
import { TransferClient } from './transfer-client.js';
import { LogChunker } from './log-chunker.js';
import { SecretMasker } from './secret-masker.js';
import { credentialSecrets } from '../../shared/git-credential.js';
import { privateKeyBody } from '../../shared/ssh-keys.js';
import { OrderedWrites } from './ordered-writes.js';
import { isBuilderRefusal, StaleLeaseError, type BuilderRefusal, type ProtocolClient } from './protocol-client.js';
import { retryWhileUnavailable } from './retry.js';
import { messageOf, UnavailableError } from '../../shared/errors.js';
import { JobSshAccessOnAgent, type SshDoor } from './ssh/job-ssh.js';

export interface JobSessionDeps {
  readonly client: ProtocolClient;
  readonly backend: JobBackend;
  readonly logger: Logger;
  /** How to run jobs on this builder; the session adds the cancel signal. */
  readonly run: Omit<RunJobOptions, 'signal'>;
  /** @default HEARTBEAT_INTERVAL_MS */
  readonly heartbeatIntervalMs?: number;
  /** Output held while the services box does not acknowledge it; beyond it, steps wait. @default DEFAULT_LOG_BUFFER_BYTES */
  readonly maxBufferedLogBytes?: number;
  /** Every builder status the services box reports with a heartbeat. */
  readonly onBuilderStatus: (status: BuilderStatus) => void;
  /** The credential was refused: the builder was revoked. */
  readonly onCredentialRefused: (error: BuilderRefusal) => void;
  /** The builder's SSH gateway and where users reach it; absent when it offers no SSH. */
  readonly ssh?: { readonly door: SshDoor; readonly address: { readonly host: string; readonly port: number } };
}

/** How the session ended, as far as this builder is concerned. */
export type SessionEnd =
  /** The attempt was completed with this outcome. */
  | { readonly kind: 'completed'; readonly outcome: JobOutcome }
  /** The lease was lost (stale, revoked, or given up at a drain deadline); the job was killed. */
  | { readonly kind: 'abandoned'; readonly reason: string };

/** How long a builder that is stopping now waits for its last writes. */
const STOP_NOW_WRITE_WINDOW_MS = 10_000;
/** How long an SSH report waits for a services box that does not answer, before it is given up (and logged). */
const SSH_REPORT_WINDOW_MS = 60_000;
/** How long completion waits for the reports of sessions that ended with the job. */
const SSH_REPORTS_SETTLE_MS = 5_000;

export class JobSession {
  private readonly cancel = new AbortController();
  /** Aborts retries of writes when the session is over for good. */
  private readonly giveUp = new AbortController();
  private readonly writes: OrderedWrites;
  private readonly chunker: LogChunker;
  private readonly output: LogBuffer;
  /** The job's secret values never leave the builder: output, step names and messages are masked first. */
  private readonly masker: SecretMasker;
  private readonly logger: Logger;
  private abandoned: string | undefined;
  private stoppingNow = false;
  private killing: Promise<void> = Promise.resolve();
  /** For a rerun with SSH on a builder that offers it. */
  private readonly sshAccess: JobSshAccessOnAgent | undefined;
  private readonly sshReports = new Set<Promise<void>>();
  private heldReports: Promise<void> = Promise.resolve();

  constructor(
    private readonly lease: JobLease,
    private readonly deps: JobSessionDeps,
  ) {
    this.logger = deps.logger.child({
      jobId: lease.jobId,
      attempt: lease.attempt,
      job: lease.context.jobName,
      project: lease.context.projectName,
    });
    const retry = {
      signal: this.giveUp.signal,
      onRetry: (error: Error, waitMs: number) =>
        this.logger.warn(
          { err: error.message, retryInMs: waitMs },
          'services box unavailable; keeping the write to retry',
        ),
    };
    this.writes = new OrderedWrites(retry, (error) => this.onWriteFailure(error));
    this.chunker = new LogChunker((chunk) =>
      this.writes.push(async () => {
        await deps.client.log(lease.jobId, {
          ...this.token,
          step: chunk.step,
          seq: chunk.seq,
          data: chunk.data.toString('base64'),
        });
        this.output.acknowledged(chunk.data.length);
      }),
    );
    this.output = new LogBuffer(this.chunker, deps.maxBufferedLogBytes);
    // Without writes, no acknowledgement comes: steps waiting for room must go on, or a killed one never ends.
    this.giveUp.signal.addEventListener('abort', () => this.output.release(), { once: true });
    this.masker = new SecretMasker([
      ...Object.values(lease.variables),
      ...credentialSecrets(lease.gitCredential),
      ...(lease.sshKeys ?? []).map((key) => privateKeyBody(key.privateKey)),
    ]);
    this.sshAccess =
      lease.ssh && deps.ssh
        ? new JobSshAccessOnAgent(deps.ssh.door, {
            jobId: lease.jobId,
            lease: lease.ssh,
            address: deps.ssh.address,
            report: (event) => this.reportSsh(event),
          })
        : undefined;
  }

  /** Ends a rerun with SSH's wait for sessions (now, or when it comes): it then completes as its steps ended. */
  endSshWait(reason: string): void {
    this.sshAccess?.release(reason);
  }

  /** Takes back {@link endSshWait} where the wait has not ended yet (the drain was canceled). */
  resumeSshWait(): void {
    this.sshAccess?.resume();
  }

  /**
   * A report of the job's SSH sessions: the gateway's starts and ends, for the audit log, and the
   * wait's changes, sent one after the other so that the page never shows an older one last.
   */
  reportSsh(event: SshReport['event']): void {
    const send = () => this.sendSshReport(event);
    if (event.kind === 'held') this.heldReports = this.heldReports.then(send);
    else this.track(send());
  }

  private sendSshReport(event: SshReport['event']): Promise<void> {
    return retryWhileUnavailable(() => this.deps.client.sshReport(this.jobId, { ...this.token, event }), {
      signal: AbortSignal.timeout(SSH_REPORT_WINDOW_MS),
    }).then(
      () => undefined,
      (error: unknown) => this.logger.warn({ err: messageOf(error), event }, 'could not report an SSH event'),
    );
  }

  private track(sent: Promise<void>): void {
    this.sshReports.add(sent);
    void sent.finally(() => this.sshReports.delete(sent));
  }

  get jobId(): number {
    return this.lease.jobId;
  }

  private get token(): LeaseToken {
    return leaseTokenOf(this.lease);
  }

  /** Runs the job to its end. Never throws. */
  async run(): Promise<SessionEnd> {
    try {
      await retryWhileUnavailable(() => this.deps.client.ack(this.jobId, this.token), { signal: this.giveUp.signal });
    } catch (error) {
      this.onWriteFailure(error);
      return { kind: 'abandoned', reason: this.abandoned ?? String(error) };
    }
    this.logger.info({ image: this.lease.spec.docker.primary.image }, 'job started');
    if (this.lease.ssh && !this.sshAccess)
      this.output.write(
        0,
        Buffer.from(
          'The job was rerun with SSH, but this builder offers no SSH (GYRE_SSH_PORTS=off): it runs without.\n',
        ),
      );
    const heartbeat = setInterval(() => void this.heartbeat(), this.deps.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS);
    let result: JobResult;
    try {
      result = await runJob(this.deps.backend, this.runnerJob(), this.sink(), {
        ...this.deps.run,
        signal: this.cancel.signal,
        ...(this.sshAccess && { ssh: this.sshAccess }),
      });
    } finally {
      clearInterval(heartbeat);
    }
    await this.killing;
    if (this.abandoned !== undefined) return { kind: 'abandoned', reason: this.abandoned };
    return await this.complete(result);
  }

  /** Stops the job now (a second SIGTERM): it is completed as an infrastructure failure, so it is retried elsewhere. */
  stopNow(): void {
    setTimeout(() => this.giveUp.abort(), STOP_NOW_WRITE_WINDOW_MS).unref();
    // Its steps have ended: it completes as they ended, without its wait for SSH sessions.
    if (this.sshAccess?.holding) return this.endSshWait('The builder is stopping now');
    this.stoppingNow = true;
    this.cancel.abort();
  }

  /** Kills the job without another write, e.g. at the drain deadline, when the services box requeues it. */
  abandon(reason: string): void {
    if (this.abandoned !== undefined) return;
    this.abandoned = reason;
    this.logger.warn({ reason }, 'abandoning the job: killing its containers');
    this.giveUp.abort();
    this.cancel.abort();
    // This attempt's objects only: the job, requeued, may already run here again as the next one.
    this.killing = cleanupAttempt(this.deps.backend, this.jobId, this.lease.attempt, this.deps.run.builderName).catch(
      (error: unknown) => this.logger.error({ err: error }, "could not remove the job's containers"),
    );
  }

  private runnerJob() {
    return {
      jobId: this.jobId,
      attempt: this.lease.attempt,
      spec: this.lease.spec,
      context: this.lease.context,
      projectVariables: this.lease.variables,
      ...(this.lease.gitCredential && { gitCredential: this.lease.gitCredential }),
      ...(this.lease.testTimings && { testTimings: this.lease.testTimings }),
      ...(this.lease.sshKeys && { sshKeys: this.lease.sshKeys }),
      ...(this.lease.secretsWithheld && { secretsWithheld: true }),
      transfers: new TransferClient(this.deps.client, this.jobId, this.token, this.lease.directUploads),
    };
  }

  private sink(): RunnerSink {
    return {
      log: (step, data) => this.output.write(step, this.masker.write(step, data)),
      room: () => this.output.room(),
      step: (event: StepEvent) => {
        if (event.status === 'finished') {
          const rest = this.masker.flush(event.index);
          if (rest.length > 0) this.output.write(event.index, rest);
        }
        // A step's report follows its output, so the UI never shows a finished step with output still to come.
        this.chunker.flush();
        const report = {
          ...this.token,
          index: event.index,
          name: this.masker.text(event.name),
          user: event.index > 0,
          status: event.status,
          ...(event.exitCode !== undefined && { exitCode: event.exitCode }),
        };
        this.writes.push(() => this.deps.client.step(this.jobId, report));
      },
    };
  }

  private async heartbeat(): Promise<void> {
    try {
      const answer = await this.deps.client.jobHeartbeat(this.jobId, this.token);
      this.deps.onBuilderStatus(answer.builder);
      if (answer.sshKeys) this.sshAccess?.renewKeys(answer.sshKeys);
      if (answer.cancel && !this.cancel.signal.aborted) {
        this.logger.info('job canceled by a user');
        this.cancel.abort();
      }
    } catch (error) {
      this.onWriteFailure(error);
    }
  }

  private async complete(result: JobResult): Promise<SessionEnd> {
    const outcome: JobOutcome = this.stoppingNow ? 'infrastructure_failed' : result.outcome;
    const message = this.stoppingNow
      ? 'the builder was stopped before the job ended'
      : result.message === undefined
        ? undefined
        : this.masker.text(result.message);
    try {
      // Sessions cut when the job ended report their end while the attempt is still this builder's.
      await Promise.race([Promise.all([...this.sshReports, this.heldReports]), pause(SSH_REPORTS_SETTLE_MS)]);
      for (const [step, rest] of this.masker.flushAll()) if (rest.length > 0) this.output.write(step, rest);
      this.chunker.flush();
      await this.writes.settled();
      await retryWhileUnavailable(
        () =>
          this.deps.client.complete(this.jobId, {
            ...this.token,
            outcome,
            logsAcknowledged: true,
            ...(message !== undefined && { message }),
          }),
        { signal: this.giveUp.signal },
      );
      this.logger.info({ outcome, message }, 'job completed');
      return { kind: 'completed', outcome };
    } catch (error) {
      this.onWriteFailure(error);
      return {
        kind: 'abandoned',
        reason: this.abandoned ?? `could not complete the job: ${messageOf(error)}`,
      };
    }
  }

  /** Writes retry "no answer" by themselves; anything that reaches here ends the lease for this builder. */
  private onWriteFailure(error: unknown): void {
    if (error instanceof UnavailableError) {
      this.logger.warn({ err: error.message }, 'services box unavailable');
      return;
    }
    if (this.giveUp.signal.aborted && this.abandoned !== undefined) return;
    if (isBuilderRefusal(error)) this.deps.onCredentialRefused(error);
    const why =
      error instanceof StaleLeaseError
        ? `the lease is stale: ${error.message}`
        : error instanceof Error
          ? error.message
          : String(error);
    if (!(error instanceof StaleLeaseError)) this.logger.error({ err: error }, 'a job write was refused');
    this.abandon(why);
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
