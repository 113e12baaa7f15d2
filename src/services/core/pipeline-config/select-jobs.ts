/** Which workflow jobs run for a pushed branch or tag. */
import { matchesRef, type GitRef } from './filters.js';
import type { PipelineConfig, Workflow } from './model.js';

/**
 * Returns the workflows to run for `ref`, each holding only the jobs that run. A job runs when
 * its filters match the ref (by default: every branch, no tag) and every job it requires runs;
 * as in CircleCI, a job whose upstream job is filtered out is skipped too. Workflows left
 * without jobs are dropped. `requires` of the returned jobs only name returned jobs.
 */
export function selectJobsForRef(config: PipelineConfig, ref: GitRef): Workflow[] {
  return config.workflows.map((workflow) => selectInWorkflow(workflow, ref)).filter((w) => w.jobs.length > 0);
}

function selectInWorkflow(workflow: Workflow, ref: GitRef): Workflow {
  const byName = new Map(workflow.jobs.map((job) => [job.name, job]));
  const decided = new Map<string, boolean>();
  const runs = (name: string): boolean => {
    const known = decided.get(name);
    if (known !== undefined) return known;
    decided.set(name, false); // Parsed configs have no cycles; this only guards hand-built ones.
    const job = byName.get(name);
    const result = job !== undefined && matchesRef(job.filters, ref) && job.requires.every(runs);
    decided.set(name, result);
    return result;
  };
  return { name: workflow.name, jobs: workflow.jobs.filter((job) => runs(job.name)) };
}
