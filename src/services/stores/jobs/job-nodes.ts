/**
 * A job with `parallelism` is several rows (nodes) under one name. What `requires` and the
 * workflow's outcome see is the job: it has ended once every node has, and it ended as its worst
 * node did (a failure over a cancel over the rest, all nodes alike otherwise); a job of one node
 * ends as that node.
 */

/** SQL for the state of a job from its nodes' `state`s, over a `GROUP BY name`. */
export const JOB_STATE_OF_NODES = `CASE
    WHEN bool_or(state = 'failed') THEN 'failed'
    WHEN bool_or(state = 'infrastructure_failed') THEN 'infrastructure_failed'
    WHEN bool_or(state = 'canceled') THEN 'canceled'
    WHEN bool_or(state = 'unauthorized') THEN 'unauthorized'
    WHEN bool_or(state = 'not_run') THEN 'not_run'
    ELSE min(state) END`;
