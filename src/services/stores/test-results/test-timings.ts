/**
 * Timings for `circleci tests split --split-by=timings`: how long a job's tests took the last time
 * a job of the same name in the project stored test results, all of its nodes together, preferring
 * the same branch. Builds of forks' pull requests are not a source: their authors could skew how
 * others' tests are split. Each file, class and test name gets the seconds of its cases added up.
 */
import type { Database } from '../../database/create-pool.js';
import type { TestTiming } from '../../../protocol/index.js';

/** At most this many timings travel with a lease. */
const MAX_TIMINGS = 30_000;

export async function testTimingsFor(db: Database, jobId: number): Promise<TestTiming[]> {
  const result = await db.query<{ kind: TestTiming['kind']; name: string; seconds: number }>(
    `WITH me AS (
       SELECT j.name, j.workflow_id, p.project_id, p.branch FROM jobs j
       JOIN workflows w ON w.id = j.workflow_id JOIN pipelines p ON p.id = w.pipeline_id WHERE j.id = $1),
     source AS (
       SELECT j.workflow_id FROM me, jobs j
       JOIN workflows w ON w.id = j.workflow_id JOIN pipelines p ON p.id = w.pipeline_id
       WHERE p.project_id = me.project_id AND j.name = me.name AND j.workflow_id <> me.workflow_id
         AND COALESCE(p.trigger_detail->'pullRequest'->>'fromFork', 'false') <> 'true'
         AND EXISTS (SELECT 1 FROM test_result_files f WHERE f.job_id = j.id)
       ORDER BY (p.branch IS NOT DISTINCT FROM me.branch) DESC, j.id DESC LIMIT 1),
     files AS (
       SELECT f.id FROM me, source, test_result_files f JOIN jobs j ON j.id = f.job_id
       WHERE j.workflow_id = source.workflow_id AND j.name = me.name
         AND f.attempt = (SELECT max(f2.attempt) FROM test_result_files f2 WHERE f2.job_id = f.job_id)),
     cases AS (SELECT c.* FROM test_cases c WHERE c.file_id IN (SELECT id FROM files))
     SELECT kind, name, sum(seconds)::float8 AS seconds FROM (
       SELECT 'filename' AS kind, file AS name, time_seconds AS seconds FROM cases WHERE file IS NOT NULL AND file <> ''
       UNION ALL SELECT 'classname', classname, time_seconds FROM cases WHERE classname <> ''
       UNION ALL SELECT 'testname', name, time_seconds FROM cases WHERE name <> ''
     ) t GROUP BY kind, name ORDER BY kind, name LIMIT $2`,
    [jobId, MAX_TIMINGS],
  );
  return result.rows;
}
