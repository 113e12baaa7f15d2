/**
 * Builds of forks' pull requests that get none of the project's secrets get no Docker in builds
 * either: their author's code would drive a Docker engine whose container has no seccomp or
 * AppArmor profile on the builders. The lease never gives them such a job
 * (stores/jobs/docker-grant.ts); planning says so at once instead of leaving the job queued.
 */

/** Why a job spec may not run in this build, or undefined. `spec` is the planned job (a Job of the pipeline config). */
export function forkDockerRefusal(spec: unknown, secretsWithheld: boolean): string | undefined {
  if (!secretsWithheld) return undefined;
  const needs = dockerNeedOf(spec);
  if (needs === undefined) return undefined;
  return `builds of pull requests from forks get no Docker in builds, and this job uses ${needs}; a maintainer can pass secrets to builds from forks in the project's settings, which gives them Docker in builds where an administrator allowed the project it, and then rerun the job`;
}

function dockerNeedOf(spec: unknown): string | undefined {
  if (typeof spec !== 'object' || spec === null) return undefined;
  const job = spec as { readonly machine?: unknown; readonly steps?: unknown };
  if (job.machine === true) return 'the machine executor';
  const steps = Array.isArray(job.steps) ? (job.steps as readonly { readonly type?: unknown }[]) : [];
  return steps.some((step) => step.type === 'setup_remote_docker') ? 'setup_remote_docker' : undefined;
}
