/**
 * The job graph of a workflow laid out as columns by dependency depth: a job without
 * requirements is in column 0, any other one column right of the deepest job it requires.
 * Pure, so the layout is tested without a browser.
 */

export interface GraphJob {
  readonly name: string;
  readonly requires: readonly string[];
}

/**
 * Columns of jobs, left to right, each keeping the jobs' given order. Requirements that name no
 * job of the list are ignored, and a cycle (which config validation rules out) cannot loop.
 */
export function layoutByDepth<T extends GraphJob>(jobs: readonly T[]): T[][] {
  const byName = new Map(jobs.map((job) => [job.name, job]));
  const depths = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (job: T): number => {
    const known = depths.get(job.name);
    if (known !== undefined) return known;
    if (visiting.has(job.name)) return 0;
    visiting.add(job.name);
    const required = job.requires.map((name) => byName.get(name)).filter((r): r is T => r !== undefined);
    const depth = required.length === 0 ? 0 : 1 + Math.max(...required.map(depthOf));
    visiting.delete(job.name);
    depths.set(job.name, depth);
    return depth;
  };
  const columns: T[][] = [];
  for (const job of jobs) (columns[depthOf(job)] ??= []).push(job);
  // A cycle can leave a depth without jobs; drop the gap rather than draw an empty column.
  return columns.filter((column) => column.length > 0);
}
