/**
 * `GET /api/v1/jobs/:id/tests`: the test results a job stored with `store_test_results` (its
 * newest attempt's), totals and a page of cases, or only the failed ones with their messages.
 */
import type { FastifyInstance } from 'fastify';
import { idParams, testResultsQuery, type TestResultsRequest } from '../../../api/requests.js';
import { testResultsResponse, type TestCaseResponse, type TestResultsResponse } from '../../../api/responses.js';
import { projectRole } from '../../http/access-policy.js';
import { paginate } from '../../http/paginate.js';
import type { StoredTestCase, TestResultStore } from '../../stores/test-results/test-result-store.js';

export interface TestResultRouteDeps {
  readonly testResults: TestResultStore;
}

/** The answer for a job that stored no test results (yet). */
const NO_RESULTS: TestResultsResponse = {
  attempt: null,
  totals: { tests: 0, failures: 0, errors: 0, skipped: 0, timeSeconds: 0 },
  casesStored: 0,
  warnings: [],
  items: [],
  nextCursor: null,
};

export function registerTestResultRoutes(app: FastifyInstance, deps: TestResultRouteDeps): void {
  app.get<{ Params: { id: number }; Querystring: TestResultsRequest }>(
    '/api/v1/jobs/:id/tests',
    {
      config: projectRole('viewer', 'job'),
      schema: {
        tags: ['test results'],
        summary: "Get a job's test results: totals and its test cases, or only the failed ones (`?status=failed`)",
        params: idParams,
        querystring: testResultsQuery,
        response: { 200: testResultsResponse },
      },
    },
    async (request): Promise<TestResultsResponse> => {
      const jobId = request.params.id;
      const summary = await deps.testResults.summary(jobId);
      if (summary === undefined) return NO_RESULTS;
      const { status, limit, after } = request.query;
      const page = await paginate(limit, (rows) =>
        deps.testResults.cases(jobId, {
          attempt: summary.attempt,
          failedOnly: status === 'failed',
          limit: rows,
          ...(after !== undefined && { after }),
        }),
      );
      return {
        attempt: summary.attempt,
        totals: { ...summary.totals },
        casesStored: summary.casesStored,
        warnings: [...summary.warnings],
        items: page.items.map(toCaseResponse),
        nextCursor: page.nextCursor,
      };
    },
  );
}

function toCaseResponse(stored: StoredTestCase): TestCaseResponse {
  return {
    id: stored.id,
    suite: stored.suite,
    classname: stored.classname,
    name: stored.name,
    file: stored.file ?? null,
    timeSeconds: stored.timeSeconds,
    result: stored.result,
    message: stored.message ?? null,
    details: stored.details ?? null,
  };
}
