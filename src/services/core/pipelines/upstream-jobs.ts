/**
 * The jobs a workflow job depends on, directly or through its requirements' requirements, in an
 * order where every job comes after the jobs it requires. Workspace layers are unpacked in this
 * order, so a file a later job persisted wins over the same file from a job it required.
 */

/** A workflow job as its `requires` names it. */
export interface RequiringJob {
  readonly name: string;
  readonly requires: readonly string[];
}

/**
 * The names of every job `name` transitively requires, without `name` itself. Jobs at the same
 * distance from the workflow's start keep their order in `jobs` (the config's order), so the
 * answer does not change between calls. Names that are no job of `jobs` are left out.
 */
export function upstreamJobs(jobs: readonly RequiringJob[], name: string): string[] {
  const byName = new Map(jobs.map((job) => [job.name, job]));
  const depth = new Map<string, number>();
  // The config refuses cycles; `visiting` still ends a walk that meets one rather than looping.
  const visiting = new Set<string>();
  const depthOf = (job: RequiringJob): number => {
    const known = depth.get(job.name);
    if (known !== undefined) return known;
    visiting.add(job.name);
    let deepest = -1;
    for (const required of job.requires) {
      const next = byName.get(required);
      if (next && !visiting.has(next.name)) deepest = Math.max(deepest, depthOf(next));
    }
    visiting.delete(job.name);
    depth.set(job.name, deepest + 1);
    return deepest + 1;
  };
  const upstream = new Set<string>();
  const collect = (job: RequiringJob): void => {
    for (const required of job.requires) {
      const next = byName.get(required);
      if (next && next.name !== name && !upstream.has(next.name)) {
        upstream.add(next.name);
        collect(next);
      }
    }
  };
  const start = byName.get(name);
  if (!start) return [];
  collect(start);
  const order = jobs.map((job) => job.name);
  return [...upstream].sort(
    (a, b) => depthOf(byName.get(a)!) - depthOf(byName.get(b)!) || order.indexOf(a) - order.indexOf(b),
  );
}
