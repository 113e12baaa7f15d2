/** Percentiles of a sample, in the sample's unit. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export interface Summary {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly perSecond: number;
}

export function summarise(latenciesMs: readonly number[], completed: number, elapsedMs: number): Summary {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return {
    count: completed,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    perSecond: (completed / elapsedMs) * 1000,
  };
}

export const round = (n: number) => Math.round(n * 100) / 100;
