/**
 * The jobs each builder runs, for the fleet page (the queue comes from builders/queue-view.ts,
 * which the API and the user UI read too).
 */
import type { Database } from '../../database/create-pool.js';

export interface RunningJob {
  readonly id: number;
  readonly name: string;
  readonly state: string;
}

/** The leased and running jobs of every builder, by builder id. */
export async function readRunningJobs(db: Database): Promise<Map<number, RunningJob[]>> {
  const result = await db.query<{ id: string; name: string; state: string; builder_id: string }>(
    "SELECT id, name, state, builder_id FROM jobs WHERE state IN ('leased', 'running') AND builder_id IS NOT NULL ORDER BY id",
  );
  const byBuilder = new Map<number, RunningJob[]>();
  for (const row of result.rows) {
    const jobs = byBuilder.get(Number(row.builder_id)) ?? [];
    jobs.push({ id: Number(row.id), name: row.name, state: row.state });
    byBuilder.set(Number(row.builder_id), jobs);
  }
  return byBuilder;
}
