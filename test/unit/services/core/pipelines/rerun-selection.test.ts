import { describe, expect, it } from '@jest/globals';
import { planRerun, type RerunCandidate } from '../../../../../src/services/core/pipelines/rerun-selection.js';

// build ─▶ test (2 nodes) ─▶ deploy ─▶ notify;  lint ─▶ report (runs whether lint failed or not)
const job = (id: number, name: string, state: string, requires: string[] = []): RerunCandidate => ({
  id,
  name,
  state,
  requires,
});
const WORKFLOW = [
  job(1, 'build', 'success'),
  job(2, 'test', 'success', ['build']),
  job(3, 'test', 'failed', ['build']),
  job(4, 'deploy', 'not_run', ['test']),
  job(5, 'notify', 'not_run', ['deploy']),
  job(6, 'lint', 'canceled'),
  job(7, 'report', 'success', ['lint']),
];
const ids = (plan: ReturnType<typeof planRerun>) => (plan.ok ? plan.reset.map((j) => j.id) : plan.code);

describe('which jobs a rerun runs again', () => {
  it('from failed: every failed or canceled job with all its nodes, and the jobs after them that did not succeed', () => {
    const plan = planRerun(WORKFLOW, { kind: 'failed', workflowId: 1 });
    expect(plan.ok && plan.chosen).toEqual(['test', 'lint']);
    // report succeeded after lint was canceled (it accepts any end): it keeps its result.
    expect(ids(plan)).toEqual([2, 3, 4, 5, 6]);
  });

  it('one job: that job, whatever its end, and the jobs after it that did not succeed', () => {
    // The test node that failed follows build and did not succeed, so it runs again; the one that passed keeps its result.
    expect(ids(planRerun(WORKFLOW, { kind: 'job', jobId: 1 }))).toEqual([1, 3, 4, 5]);
    expect(ids(planRerun(WORKFLOW, { kind: 'job', jobId: 2 }))).toEqual([2, 3, 4, 5]);
    expect(ids(planRerun(WORKFLOW, { kind: 'job', jobId: 7 }))).toEqual([7]);
  });

  it('refuses a job that has not ended, and "from failed" when nothing failed', () => {
    const running = [job(1, 'build', 'success'), job(2, 'test', 'running', ['build'])];
    expect(planRerun(running, { kind: 'job', jobId: 2 })).toEqual({
      ok: false,
      code: 'job_not_ended',
      message: 'job 2 has not ended; rerun it once it has',
    });
    expect(ids(planRerun(running, { kind: 'job', jobId: 99 }))).toBe('job_not_ended');
    expect(ids(planRerun([job(1, 'build', 'success')], { kind: 'failed', workflowId: 1 }))).toBe('nothing_to_rerun');
  });
});
