/**
 * Attempts of reruns with SSH: who asked for one, and what the builder running it reports, each
 * write fenced by the lease as the other job writes are: a session's start and end goes to the
 * audit log (the account, its key's fingerprint, the job), the wait after the steps to the attempt.
 */
import type { LeaseToken, SshReport } from '../../../protocol/index.js';
import type { Database } from '../../database/create-pool.js';
import { withTransaction } from '../../database/with-transaction.js';
import { writeAudit } from '../audit/audit-log.js';
import { StaleLeaseError } from '../../../protocol/index.js';
import { checkLease } from './fenced-writes.js';

export class SshAttempts {
  constructor(private readonly db: Database) {}

  /** The account that asked for this attempt to run with SSH; undefined for any other attempt. */
  async requesterOf(jobId: number, attempt: number): Promise<number | undefined> {
    const { rows } = await this.db.query<{ ssh_requested_by: string | null }>(
      'SELECT ssh_requested_by FROM job_attempts WHERE job_id = $1 AND attempt = $2',
      [jobId, attempt],
    );
    const id = rows[0]?.ssh_requested_by;
    return id === null || id === undefined ? undefined : Number(id);
  }

  /**
   * Records what the builder reports. The wait is the running attempt's: a stale lease is refused
   * (409) as for any job write. A session's start or end is taken from the builder that ran the
   * attempt even once it has ended: sessions cut as the job ends report their end just after.
   */
  async record(
    builder: { readonly id: number; readonly name: string },
    jobId: number,
    report: SshReport,
  ): Promise<void> {
    const token: LeaseToken = { attempt: report.attempt, leaseId: report.leaseId };
    const { event } = report;
    if (event.kind !== 'held') {
      const { rowCount } = await this.db.query(
        'SELECT 1 FROM job_attempts WHERE job_id = $1 AND attempt = $2 AND builder_id = $3 AND ssh_requested_by IS NOT NULL',
        [jobId, report.attempt, builder.id],
      );
      if (rowCount === 0) throw StaleLeaseError.of(jobId, token);
    } else await checkLease(this.db, builder.id, jobId, token);
    if (event.kind === 'held') {
      await this.db.query(
        'UPDATE job_attempts SET ssh_idle_until = $3, ssh_until = $4, ssh_connected = $5 WHERE job_id = $1 AND attempt = $2',
        [jobId, report.attempt, event.idleUntil, event.until, event.connected],
      );
      return;
    }
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
