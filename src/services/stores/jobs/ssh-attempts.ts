/**
 * Attempts of reruns with SSH: who asked for one, and what the builder running it reports, each
 * write fenced by the lease as the other job writes are: a session's start and end goes to the
 * audit log (the account, its key's fingerprint, the job), the wait after the steps to the attempt.
 */
import { StaleLeaseError, type LeaseToken, type SshReport } from '../../../protocol/index.js';
import { ForbiddenError } from '../../../shared/errors.js';
import type { Database } from '../../database/create-pool.js';
import { withTransaction } from '../../database/with-transaction.js';
import { writeAudit } from '../audit/audit-log.js';
import { checkLease } from './fenced-writes.js';

/** An attempt of a rerun with SSH. */
export interface SshAttempt {
  /** The account that asked; null once it was removed (administrators may still connect). */
  readonly requestedBy: number | null;
}

/**
 * How long after an attempt ended its builder may still report a session's end: sessions cut as
 * the job ends report a moment later; anything much later is not a session of this attempt.
 */
const LATE_REPORT_WINDOW = '5 minutes';

export class SshAttempts {
  constructor(private readonly db: Database) {}

  /** The attempt when it is a rerun with SSH; undefined for any other. */
  async of(jobId: number, attempt: number): Promise<SshAttempt | undefined> {
    const { rows } = await this.db.query<{ ssh_requested_by: string | null }>(
      'SELECT ssh_requested_by FROM job_attempts WHERE job_id = $1 AND attempt = $2 AND ssh',
      [jobId, attempt],
    );
    const row = rows[0];
    return row && { requestedBy: row.ssh_requested_by === null ? null : Number(row.ssh_requested_by) };
  }

  /**
   * Records what the builder reports. The wait is the running attempt's: a stale lease is refused
   * (409) as for any job write. A session's start or end is taken from the builder that ran the
   * attempt until shortly after it ended, and a start only for an account that may connect to it
   * (the one that asked, or an administrator): a builder cannot put any name it likes in the audit log.
   */
  async record(
    builder: { readonly id: number; readonly name: string },
    jobId: number,
    report: SshReport,
  ): Promise<void> {
    const token: LeaseToken = { attempt: report.attempt, leaseId: report.leaseId };
    const { event } = report;
    if (event.kind === 'held') {
      await checkLease(this.db, builder.id, jobId, token);
      await this.db.query(
        'UPDATE job_attempts SET ssh_idle_until = $3, ssh_until = $4, ssh_connected = $5 WHERE job_id = $1 AND attempt = $2',
        [jobId, report.attempt, event.idleUntil, event.until, event.connected],
      );
      return;
    }
    const { rows } = await this.db.query<{ may_connect: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM users u WHERE lower(u.login) = lower($4) AND (u.id = a.ssh_requested_by OR u.is_admin)) AS may_connect
       FROM job_attempts a
       WHERE a.job_id = $1 AND a.attempt = $2 AND a.builder_id = $3 AND a.ssh
         AND (a.finished_at IS NULL OR a.finished_at > now() - interval '${LATE_REPORT_WINDOW}')`,
      [jobId, report.attempt, builder.id, event.account],
    );
    if (rows[0] === undefined) throw StaleLeaseError.of(jobId, token);
    // An end is recorded whoever it names now: an administrator demoted during a session was cut.
    if (event.kind === 'start' && !rows[0].may_connect)
      throw new ForbiddenError(
        `${event.account} may not connect to job ${jobId}: only the account that asked and administrators may`,
        'ssh_account_refused',
      );
    await withTransaction(this.db, (client) =>
      writeAudit(client, {
        actor: `user:${event.account}`,
        action: event.kind === 'start' ? 'job.ssh_session_started' : 'job.ssh_session_ended',
        target: `job:${jobId}`,
        detail: {
          attempt: report.attempt,
          builder: builder.name,
          fingerprint: event.fingerprint,
          what: event.what,
          ...(event.exitCode !== undefined && { exitCode: event.exitCode }),
        },
      }),
    );
  }
}
