/**
 * The job page's "Tests" section: the totals of the test results the job stored and its failed
 * tests with their messages, read from the same store as `GET /api/v1/jobs/:id/tests`.
 */
import { formatDuration } from '../../../../shared/durations.js';
import type { StoredTestCase, TestResultStore } from '../../../stores/test-results/test-result-store.js';

/** Failed tests the page shows; the API lists every one. */
export const FAILED_TESTS_SHOWN = 50;

export interface TestsSection {
  readonly attempt: number;
  readonly tests: number;
  readonly passed: number;
  readonly failures: number;
  readonly errors: number;
  readonly skipped: number;
  readonly time: string;
  readonly failed: readonly StoredTestCase[];
  /** Failed tests stored but not shown here; 0 when all are. */
  readonly notShown: number;
  readonly warnings: readonly string[];
}

/** The section's model, or undefined when the job stored no test results: the page then has none. */
export async function readTestsSection(store: TestResultStore, jobId: number): Promise<TestsSection | undefined> {
  const summary = await store.summary(jobId);
  if (summary === undefined) return undefined;
  const { totals } = summary;
  const failed = await store.failed(jobId, FAILED_TESTS_SHOWN);
  const failedTotal = totals.failures + totals.errors;
  return {
    attempt: summary.attempt,
    tests: totals.tests,
    passed: totals.tests - failedTotal - totals.skipped,
    failures: totals.failures,
    errors: totals.errors,
    skipped: totals.skipped,
    time: totals.timeSeconds < 60 ? `${totals.timeSeconds}s` : formatDuration(Math.round(totals.timeSeconds) * 1000),
    failed,
    notShown: Math.max(0, failedTotal - failed.length),
    warnings: summary.warnings,
  };
}
