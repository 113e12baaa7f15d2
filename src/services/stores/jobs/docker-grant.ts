/**
 * Which queued jobs may have Docker in builds, as SQL the lease and the queue view share. A job
 * with none (`docker_level` 0) always may. One with Docker may when an administrator allowed its
 * project, and its build is not an untrusted fork's: a pull request from a fork whose project does
 * not pass it secrets (withholdsSecrets, in SQL) runs its author's code, which must not get an
 * engine without seccomp or AppArmor on the builders because a maintainer builds forks.
 */

/** An untrusted fork's build, over `pl` (its pipeline) and `p` (its project): as withholdsSecrets decides. */
export const SECRETS_WITHHELD_SQL = `(CASE WHEN coalesce(jsonb_typeof(pl.trigger_detail->'pullRequest'), 'null') = 'null'
    THEN pl.ref LIKE 'refs/pull/%'
    ELSE (pl.trigger_detail->'pullRequest'->'fromFork') IS DISTINCT FROM 'false'::jsonb END
  AND NOT p.pass_secrets_to_forks)`;

/** Whether job `alias` may run now as far as Docker in builds goes. */
export function dockerGrantedSql(alias: string): string {
  return `(${alias}.docker_level = 0 OR EXISTS (SELECT 1 FROM workflows w JOIN pipelines pl ON pl.id = w.pipeline_id
    JOIN projects p ON p.id = pl.project_id
    WHERE w.id = ${alias}.workflow_id AND p.docker_in_builds AND NOT ${SECRETS_WITHHELD_SQL}))`;
}
