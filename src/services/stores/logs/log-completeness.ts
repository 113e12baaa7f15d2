/**
 * Whether an attempt's log has every chunk. Seq numbers start at 0 per step and have no gaps, so
 * a step with highest seq n needs n + 1 chunks. Chunks missing after the highest one can only be
 * seen against what the agent says it sent, hence the optional final seq per step.
 */
import type { Database } from '../../database/create-pool.js';

/** At most this many missing seq numbers are listed per step; the count is always exact. */
const MISSING_LISTED = 100;

/** The stored output of one step. */
export interface StepCompleteness {
  readonly step: number;
  readonly chunks: number;
  readonly bytes: number;
  /** Highest seq stored; -1 when nothing is stored but the step was expected. */
  readonly highestSeq: number;
  /** How many seq numbers from 0 to the highest (or to the expected final one) are missing. */
  readonly missingCount: number;
  /** The first missing seq numbers, in order; at most 100. */
  readonly missingSeqs: readonly number[];
}

/** What is stored for one attempt, step by step, and whether nothing is missing. */
export interface LogCompleteness {
  readonly jobId: number;
  readonly attempt: number;
  readonly complete: boolean;
  readonly steps: readonly StepCompleteness[];
}

/** Final seq per step, as the agent reports it: `{ 0: 12, 1: 0 }`. */
export type FinalSeqs = Readonly<Record<number, number>>;

const MISSING_SQL = `
  SELECT s.seq FROM generate_series(0, $4::int) AS s(seq)
  WHERE NOT EXISTS (SELECT 1 FROM log_chunks c WHERE c.job_id = $1 AND c.attempt = $2 AND c.step = $3 AND c.seq = s.seq)
  ORDER BY s.seq LIMIT ${MISSING_LISTED}`;

/** Checks an attempt's stored chunks for gaps, and against the final seq numbers when given. */
export async function checkCompleteness(
  db: Database,
  jobId: number,
  attempt: number,
  finalSeqs: FinalSeqs = {},
): Promise<LogCompleteness> {
  const stored = await db.query<{ step: number; chunks: string; bytes: string; highest: number }>(
    `SELECT step, count(*) AS chunks, sum(byte_length) AS bytes, max(seq) AS highest
     FROM log_chunks WHERE job_id = $1 AND attempt = $2 GROUP BY step ORDER BY step`,
    [jobId, attempt],
  );
  const byStep = new Map(
    stored.rows.map((row) => [
      row.step,
      { chunks: Number(row.chunks), bytes: Number(row.bytes), highest: row.highest },
    ]),
  );
  const stepNumbers = [...new Set([...byStep.keys(), ...Object.keys(finalSeqs).map(Number)])].sort((a, b) => a - b);
  const steps: StepCompleteness[] = [];
  for (const step of stepNumbers) {
    const found = byStep.get(step) ?? { chunks: 0, bytes: 0, highest: -1 };
    const last = Math.max(found.highest, finalSeqs[step] ?? -1);
    const missingCount = last + 1 - found.chunks;
    const missing =
      missingCount > 0 ? await db.query<{ seq: number }>(MISSING_SQL, [jobId, attempt, step, last]) : undefined;
    steps.push({
      step,
      chunks: found.chunks,
      bytes: found.bytes,
      highestSeq: found.highest,
      missingCount,
      missingSeqs: missing?.rows.map((r) => r.seq) ?? [],
    });
  }
  return { jobId, attempt, complete: steps.every((s) => s.missingCount === 0), steps };
}
