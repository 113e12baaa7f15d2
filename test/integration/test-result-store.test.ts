/**
 * The test result store on a real PostgreSQL: real reports in, totals and failed cases out, a
 * retried upload counted once, the per-attempt cap, and attempts kept apart.
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Database } from '../../src/services/database/create-pool.js';
import { TestResultStore, type TestResultFile } from '../../src/services/stores/test-results/test-result-store.js';
import { startMigratedDatabase, type MigratedDatabase } from '../support/postgres.js';
import { insertTestJob } from '../support/test-jobs.js';

let database: MigratedDatabase;
let db: Database;
let store: TestResultStore;

beforeAll(async () => {
  database = await startMigratedDatabase();
  db = database.db;
  store = new TestResultStore(db);
}, 180_000);

afterAll(async () => {
  await database?.stop();
}, 60_000);

const fixture = (name: string, path = `reports/${name}`): TestResultFile => ({
  path,
  content: readFileSync(new URL(`../fixtures/junit/${name}`, import.meta.url)),
});
/** The files as `record` takes them: one at a time, as they come out of an archive. */
const filesOf = (...files: TestResultFile[]): AsyncIterable<TestResultFile> => Readable.from(files);

describe('TestResultStore', () => {
  it('records reports of several tools, skips other files, and warns about a broken one while the rest count', async () => {
    const jobId = await insertTestJob(db);
    const recorded = await store.record(
      jobId,
      1,
      filesOf(fixture('jest-junit.xml'), fixture('go-junit-report.xml'), fixture('pytest-truncated.xml'), {
        path: 'reports/coverage.txt',
        content: Buffer.from('not a report'),
      }),
    );
    expect(recorded.totals).toEqual({ tests: 11, failures: 5, errors: 0, skipped: 3, timeSeconds: 0.468 });
    expect(recorded.warnings).toEqual([expect.stringMatching(/^reports\/pytest-truncated\.xml: not valid XML: /)]);

    expect(await store.summary(jobId)).toEqual({
      attempt: 1,
      totals: recorded.totals,
      casesStored: 11,
      files: 3,
      warnings: recorded.warnings,
    });
    const failed = await store.failed(jobId, 10);
    expect(failed.map((c) => [c.name, c.result])).toEqual([
      ['Failing test', 'failed'],
      ['Exception in target unit', 'failed'],
      ['Exception in test', 'failed'],
      ['Timeout test', 'failed'],
      ['TestOne', 'failed'],
    ]);
    expect(failed[4]).toMatchObject({ suite: 'package/fail', message: 'Failed', details: expect.any(String) });
    // Pages of all cases, in report order.
    const first = await store.cases(jobId, { limit: 4 });
    const rest = await store.cases(jobId, { limit: 100, after: first.at(-1)!.id });
    expect([...first, ...rest].map((c) => c.name)).toEqual([
      'Passing test',
      'Failing test',
      'Exception in target unit',
      'Exception in test',
      'Timeout test',
      'Skipped test',
      'TestPass',
      'TestPassLog',
      'TestOne',
      'TestSkip',
      'TestSkipNow',
    ]);
  });

  it('counts a retried upload once, and adds up the files of several uploads', async () => {
    const jobId = await insertTestJob(db);
    await store.record(jobId, 1, filesOf(fixture('pytest-one-line.xml')));
    await store.record(jobId, 1, filesOf(fixture('pytest-one-line.xml')));
    expect((await store.summary(jobId))!.totals.tests).toBe(3);
    await store.record(jobId, 1, filesOf(fixture('TEST-com.shape.CircleTest.xml', './surefire/TEST-Circle.xml')));
    expect(await store.summary(jobId)).toMatchObject({
      totals: { tests: 11, failures: 3, errors: 1 },
      casesStored: 11,
      files: 2,
    });
    expect((await store.cases(jobId, { limit: 100 })).length).toBe(11);
  });

  it('stores at most the cap of cases per attempt, with a warning, while the totals count them all', async () => {
    const capped = new TestResultStore(db, { maxCasesPerAttempt: 5 });
    const jobId = await insertTestJob(db);
    const first = await capped.record(jobId, 1, filesOf(fixture('pytest-one-line.xml')));
    expect(first.warnings).toEqual([]);
    const second = await capped.record(jobId, 1, filesOf(fixture('TEST-com.shape.CircleTest.xml')));
    expect(second.warnings).toEqual([
      'reports/TEST-com.shape.CircleTest.xml: 6 of its 8 test cases were not stored: a job attempt stores at most 5; the totals still count them',
    ]);
    expect(await capped.summary(jobId)).toMatchObject({ totals: { tests: 11 }, casesStored: 5 });
    expect((await capped.cases(jobId, { limit: 100 })).map((c) => c.name)).toEqual([
      'test_which_succeeds',
      'test_which_fails',
      'test_with_error',
      'testX',
      'testY',
    ]);
  });

  it("shows the newest attempt's results, and keeps earlier attempts' apart", async () => {
    const jobId = await insertTestJob(db, { attempt: 2 });
    await store.record(jobId, 1, filesOf(fixture('TEST-com.shape.CircleTest.xml')));
    expect((await store.summary(jobId))!.attempt).toBe(1);
    await store.record(jobId, 2, filesOf(fixture('go-junit-report.xml')));
    expect(await store.summary(jobId)).toMatchObject({ attempt: 2, totals: { tests: 5, failures: 1, errors: 0 } });
    expect((await store.failed(jobId, 10)).map((c) => c.name)).toEqual(['TestOne']);
    expect((await store.cases(jobId, { attempt: 1, failedOnly: true, limit: 10 })).map((c) => c.name)).toEqual([
      'testRadius',
      'testProperties',
    ]);
  });

  it('answers nothing for a job without results, and refuses an unknown job or attempt', async () => {
    const jobId = await insertTestJob(db);
    expect(await store.summary(jobId)).toBeUndefined();
    expect(await store.failed(jobId, 10)).toEqual([]);
    await expect(store.record(999_999_999, 1, filesOf())).rejects.toThrow('job 999999999 does not exist');
    await expect(store.record(jobId, 2, filesOf())).rejects.toThrow(`attempt 2 of job ${jobId} does not exist`);
    await expect(store.record(jobId, 0, filesOf())).rejects.toThrow(RangeError);
  });
});
