/**
 * Test results in PostgreSQL: the JUnit reports a job's `store_test_results` step uploaded,
 * parsed and stored per file and per test case, and the reads the API and the job page make of
 * them. Each attempt keeps its own results; reads show the newest attempt that has any.
 */
import type { TestTiming } from '../../../protocol/index.js';
import { testTimingsFor } from './test-timings.js';
import type pg from 'pg';
import { NotFoundError } from '../../../shared/errors.js';
import {
  parseJUnit,
  sumTotals,
  type JUnitReport,
  type TestCaseResult,
  type TestResultKind,
  type TestTotals,
} from '../../core/test-results/junit.js';
import type { Database } from '../../database/create-pool.js';
import { withTransaction } from '../../database/with-transaction.js';

/** One file of the uploaded folder: its path inside the folder, and its bytes. */
export interface TestResultFile {
  readonly path: string;
  readonly content: Buffer;
}

/** What one `record` call stored: the totals of its files and every warning, each naming its file. */
export interface RecordedTestResults {
  readonly totals: TestTotals;
  readonly warnings: readonly string[];
}

/** A job's test results: those of its newest attempt that has any. */
export interface TestResultSummary {
  readonly attempt: number;
  /** Counted from every case of the reports, those over the cap included. */
  readonly totals: TestTotals;
  /** Cases stored as rows, which `cases` can list; fewer than `totals.tests` past the cap. */
  readonly casesStored: number;
  /** Report files recorded, readable or not. */
  readonly files: number;
  readonly warnings: readonly string[];
}

/** A stored case; `id` orders the cases of an attempt as their reports list them, and pages them. */
export interface StoredTestCase extends TestCaseResult {
  readonly id: number;
}

export interface TestResultStoreOptions {
  /**
   * Most cases one job attempt stores as rows; past it, cases still count in the totals and a
   * warning says how many were left out.
   * @default 10,000
   */
  readonly maxCasesPerAttempt?: number;
}

const DEFAULT_MAX_CASES_PER_ATTEMPT = 10_000;
/** Rows per INSERT: keeps each statement's parameters small. */
const INSERT_BATCH = 1000;

interface FileRow {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
  time_seconds: number;
  cases_stored: number;
  warnings: string[];
  attempt: number;
}

interface CaseRow {
  id: string;
  result: TestResultKind;
  suite: string;
  classname: string;
  name: string;
  file: string | null;
  time_seconds: number;
  message: string | null;
  details: string | null;
}

export class TestResultStore {
  private readonly maxCasesPerAttempt: number;

  constructor(
    private readonly db: Database,
    options: TestResultStoreOptions = {},
  ) {
    this.maxCasesPerAttempt = options.maxCasesPerAttempt ?? DEFAULT_MAX_CASES_PER_ATTEMPT;
    if (!Number.isSafeInteger(this.maxCasesPerAttempt) || this.maxCasesPerAttempt < 0)
      throw new RangeError(`maxCasesPerAttempt must be a whole number of 0 or more, got ${this.maxCasesPerAttempt}`);
  }

  /**
   * Records the files of one `store_test_results` upload of a job attempt.
   *
   * - `files` are the files of the step's `path` (any order, any folder depth); only those whose
   *   path ends in `.xml` are read, each as a JUnit report, one at a time, so the caller may
   *   stream them out of an archive. Other files are skipped without a word.
   * - A file that is not a JUnit report, or not readable (malformed, not UTF-8, over
   *   `JUNIT_LIMITS.maxReportBytes`), is never an error: it is recorded with a warning that
   *   names its path, and the other files still count. Warnings come back in the answer and
   *   are kept for the job's results.
   * - Paths name files within the attempt: recording a path again replaces what it recorded
   *   (a retried upload counts once), while other paths add up (several steps of one job). A
   *   caller that uploads several steps' folders should make their paths distinct, e.g. by
   *   prefixing each with its step's `path`.
   * - One attempt stores at most `maxCasesPerAttempt` cases (10,000) as rows; the totals count
   *   every case, and a warning says how many were left out.
   * - Throws NotFoundError for a job that does not exist or an attempt it has not reached, and
   *   RangeError for an attempt that is not a positive whole number: check the lease first.
   *   Each file is stored in its own transaction: files recorded before a failure stay.
   */
  async record(
    jobId: number,
    attempt: number,
    files: Iterable<TestResultFile> | AsyncIterable<TestResultFile>,
  ): Promise<RecordedTestResults> {
    if (!Number.isSafeInteger(attempt) || attempt < 1)
      throw new RangeError(`attempt must be a positive whole number, got ${attempt}`);
    const job = await this.db.query<{ attempt: number }>('SELECT attempt FROM jobs WHERE id = $1', [jobId]);
    const current = job.rows[0]?.attempt;
    if (current === undefined) throw new NotFoundError(`job ${jobId}`);
    if (attempt > current) throw new NotFoundError(`attempt ${attempt} of job ${jobId}`);

    const totals: TestTotals[] = [];
    const warnings: string[] = [];
    for await (const file of files) {
      const path = file.path.replace(/^(\.\/)+/, '');
      if (!path.toLowerCase().endsWith('.xml')) continue;
      const report = parseJUnit(path, file.content);
      const stored = await withTransaction(this.db, (client) => this.storeFile(client, jobId, attempt, path, report));
      totals.push(report.totals);
      warnings.push(...stored.warnings);
    }
    return { totals: sumTotals(totals), warnings };
  }

  /** The newest attempt's results, or undefined when the job has none. */
  /** What `circleci tests split --split-by=timings` weighs the job's tests by (test-timings.ts). */
  timingsFor(jobId: number): Promise<TestTiming[]> {
    return testTimingsFor(this.db, jobId);
  }

  async summary(jobId: number): Promise<TestResultSummary | undefined> {
    const files = await this.db.query<FileRow>(
      `SELECT attempt, tests, failures, errors, skipped, time_seconds, cases_stored, warnings FROM test_result_files
       WHERE job_id = $1 AND attempt = (SELECT max(attempt) FROM test_result_files WHERE job_id = $1) ORDER BY id`,
      [jobId],
    );
    const first = files.rows[0];
    if (first === undefined) return undefined;
    return {
      attempt: first.attempt,
      totals: sumTotals(
        files.rows.map((row) => ({
          tests: row.tests,
          failures: row.failures,
          errors: row.errors,
          skipped: row.skipped,
          timeSeconds: row.time_seconds,
        })),
      ),
      casesStored: files.rows.reduce((sum, row) => sum + row.cases_stored, 0),
      files: files.rows.length,
      warnings: files.rows.flatMap((row) => row.warnings),
    };
  }

  /**
   * Stored cases of one attempt (default: the newest with results) in report order, `limit` of
   * them after the case `after`; only failed and errored ones with `failedOnly`.
   */
  async cases(
    jobId: number,
    options: {
      readonly attempt?: number;
      readonly failedOnly?: boolean;
      readonly limit: number;
      readonly after?: number;
    },
  ): Promise<StoredTestCase[]> {
    // Spelled out rather than a parameter, so the planner can use the index of failed cases.
    const failedOnly = options.failedOnly === true ? "AND c.result IN ('failed', 'error')" : '';
    const rows = await this.db.query<CaseRow>(
      `SELECT c.id, c.result, c.suite, c.classname, c.name, c.file, c.time_seconds, c.message, c.details
       FROM test_cases c JOIN test_result_files f ON f.id = c.file_id
       WHERE f.job_id = $1 AND f.attempt = COALESCE($2, (SELECT max(attempt) FROM test_result_files WHERE job_id = $1))
         AND c.id > $3 ${failedOnly}
       ORDER BY c.id LIMIT $4`,
      [jobId, options.attempt ?? null, options.after ?? 0, options.limit],
    );
    return rows.rows.map(toStoredCase);
  }

  /** The newest attempt's failed and errored cases, at most `limit`, with their messages. */
  async failed(jobId: number, limit: number): Promise<StoredTestCase[]> {
    return this.cases(jobId, { failedOnly: true, limit });
  }

  /** Replaces the file's rows (a retried upload), within the attempt's case cap. */
  private async storeFile(
    client: pg.PoolClient,
    jobId: number,
    attempt: number,
    path: string,
    report: JUnitReport,
  ): Promise<{ warnings: string[] }> {
    // One recorder at a time per job, so the cap holds when uploads race.
    await client.query("SELECT pg_advisory_xact_lock(hashtextextended('gyre test results ' || $1::text, 0))", [jobId]);
    await client.query('DELETE FROM test_result_files WHERE job_id = $1 AND attempt = $2 AND path = $3', [
      jobId,
      attempt,
      path,
    ]);
    const used = await client.query<{ stored: string }>(
      'SELECT coalesce(sum(cases_stored), 0) AS stored FROM test_result_files WHERE job_id = $1 AND attempt = $2',
      [jobId, attempt],
    );
    const room = Math.max(0, this.maxCasesPerAttempt - Number(used.rows[0]!.stored));
    const kept = report.cases.slice(0, room);
    const left = report.cases.length - kept.length;
    const warnings = [...report.warnings];
    if (left > 0)
      warnings.push(
        `${path}: ${left} of its ${report.cases.length} test cases were not stored: a job attempt stores at most ${this.maxCasesPerAttempt}; the totals still count them`,
      );
    const { totals } = report;
    const file = await client.query<{ id: string }>(
      `INSERT INTO test_result_files (job_id, attempt, path, tests, failures, errors, skipped, time_seconds, cases_stored, warnings)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
      [
        jobId,
        attempt,
        path,
        totals.tests,
        totals.failures,
        totals.errors,
        totals.skipped,
        totals.timeSeconds,
        kept.length,
        warnings,
      ],
    );
    const fileId = file.rows[0]!.id;
    for (let start = 0; start < kept.length; start += INSERT_BATCH) {
      const batch = kept.slice(start, start + INSERT_BATCH);
      const column = <T>(pick: (c: TestCaseResult) => T) => batch.map(pick);
      await client.query(
        `INSERT INTO test_cases (file_id, result, suite, classname, name, file, time_seconds, message, details)
         SELECT $1, c.result, c.suite, c.classname, c.name, c.file, c.time_seconds, c.message, c.details
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::float8[], $8::text[], $9::text[])
           WITH ORDINALITY AS c(result, suite, classname, name, file, time_seconds, message, details, n)
         ORDER BY c.n`,
        [
          fileId,
          column((c) => c.result),
          column((c) => c.suite),
          column((c) => c.classname),
          column((c) => c.name),
          column((c) => c.file ?? null),
          column((c) => c.timeSeconds),
          column((c) => c.message ?? null),
          column((c) => c.details ?? null),
        ],
      );
    }
    return { warnings };
  }
}

function toStoredCase(row: CaseRow): StoredTestCase {
  return {
    id: Number(row.id),
    suite: row.suite,
    classname: row.classname,
    name: row.name,
    ...(row.file !== null && { file: row.file }),
    timeSeconds: row.time_seconds,
    result: row.result,
    ...(row.message !== null && { message: row.message }),
    ...(row.details !== null && { details: row.details }),
  };
}
