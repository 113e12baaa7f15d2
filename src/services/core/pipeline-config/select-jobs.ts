/** Which workflow jobs run for a pushed branch or tag. */
import { matchesRef, type GitRef } from './filters.js';
import type { PipelineConfig, Workflow, WorkflowJob } from './model.js';

/**
 * Returns the workflows to run for `ref`, each holding only the jobs that run, with `requires`
 * naming only jobs that run. Workflows left without jobs are dropped.
 *
 * A job runs when its filters match the ref (by default: every branch, no tag) and, if it has
 * requirements, at least one of them runs. CircleCI's configuration reference, `requires`: "When
 * jobs you list as dependencies do not execute (due to filters, for example), CircleCI ignores
 * them as dependencies for other jobs. However, if all dependencies of a job are filtered, that
 * job doesn't execute either." A requirement that does not run is dropped whatever statuses it
 * lists, `not_run` included: it is ignored, not waited for. A job left out because all of its
 * requirements were left out counts as not executing for the jobs that require it, so the rule
 * applies down the whole chain.
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
    const result =
      job !== undefined &&
      matchesRef(job.filters, ref) &&
      (job.requires.length === 0 || job.requires.some((r) => runs(r.job)));
    decided.set(name, result);
    return result;
  };
  const keep = (job: WorkflowJob): WorkflowJob => ({ ...job, requires: job.requires.filter((r) => runs(r.job)) });
  return { name: workflow.name, jobs: workflow.jobs.filter((job) => runs(job.name)).map(keep) };
}
