/** The job graph of one workflow: unique names, known `requires`, no cycles. */
import type { ErrorCollector, Position } from './errors.js';
import { REQUIRED_STATUSES } from './model.js';

const REQUIRES_STATUS_WORDS: readonly string[] = [...REQUIRED_STATUSES, 'terminal'];

/** What graph checks need to know about a workflow job. */
export interface JobInvocation {
  /** Unique name within the workflow. */
  readonly name: string;
  /** Where the name was written (the `name` override, or the job key). */
  readonly at: Position;
  readonly path: string;
  readonly requires: readonly { readonly name: string; readonly at: Position; readonly path: string }[];
}

/** Reports duplicate names, `requires` naming no job of the workflow, and dependency cycles. */
export function checkWorkflowGraph(jobs: readonly JobInvocation[], errors: ErrorCollector): void {
  const byName = new Map<string, JobInvocation>();
  for (const job of jobs) {
    if (byName.has(job.name)) {
      errors.add(
        job.at,
        job.path,
        `duplicate job name "${job.name}" in this workflow; give one of them a different \`name:\``,
      );
    } else byName.set(job.name, job);
  }
  for (const job of jobs) {
    for (const req of job.requires) {
      if (req.name === job.name) errors.add(req.at, req.path, `job "${job.name}" requires itself`);
      else if (!byName.has(req.name))
        errors.add(
          req.at,
          req.path,
          `"${req.name}" is not a job of this workflow; requires can name: ${[...byName.keys()].filter((n) => n !== job.name).join(', ') || '(no other jobs)'}${statusHint(req.name, byName)}`,
        );
    }
  }
  reportCycles(byName, errors);
}

/** `- test failed` reads as one job name; say how to write a status instead. */
function statusHint(written: string, byName: ReadonlyMap<string, JobInvocation>): string {
  const [, name, status] = /^(\S+)\s+(\S+)$/.exec(written) ?? [];
  return name !== undefined && status !== undefined && byName.has(name) && REQUIRES_STATUS_WORDS.includes(status)
    ? `. To require a status of "${name}", write \`- ${name}: ${status}\``
    : '';
}

function reportCycles(byName: ReadonlyMap<string, JobInvocation>, errors: ErrorCollector): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (job: JobInvocation, trail: readonly string[]): void => {
    state.set(job.name, 'visiting');
    for (const req of job.requires) {
      const next = byName.get(req.name);
      if (!next || next === job) continue;
      if (state.get(next.name) === 'visiting') {
        const cycle = [...trail.slice(trail.indexOf(next.name)), job.name, next.name].join(' → ');
        errors.add(req.at, req.path, `dependency cycle: ${cycle}; a job cannot (indirectly) require itself`);
      } else if (!state.has(next.name)) visit(next, [...trail, job.name]);
    }
    state.set(job.name, 'done');
  };
  for (const job of byName.values()) if (!state.has(job.name)) visit(job, []);
}
