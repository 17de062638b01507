// Statistics over repeated measurements: every figure in RESULTS.md is the median of several runs,
// shown with the smallest and largest run, so that noise is visible next to the figure.

export interface Spread {
  median: number;
  min: number;
  max: number;
  /** How many runs the figure summarises. */
  runs: number;
}

function sortedCopy(values: readonly number[]): number[] {
  if (values.length === 0) throw new Error("no values to summarise");
  if (values.some((v) => !Number.isFinite(v))) throw new Error(`not a finite number among ${values.join(", ")}`);
  return [...values].sort((a, b) => a - b);
}

/**
 * The p-th percentile (0..100) with linear interpolation between closest ranks (the method of
 * numpy's default and of spreadsheets' PERCENTILE.INC), so p50 of an even count is the midpoint.
 */
export function percentile(values: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new Error(`percentile must be between 0 and 100, got ${p}`);
  const sorted = sortedCopy(values);
  const rank = (p / 100) * (sorted.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.ceil(rank);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (rank - lower);
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export function spread(values: readonly number[]): Spread {
  const sorted = sortedCopy(values);
  return { median: percentile(sorted, 50), min: sorted[0]!, max: sorted[sorted.length - 1]!, runs: sorted.length };
}

/** Runs `measure` `times` times in a row and returns every result. */
export async function repeat(times: number, measure: (run: number) => Promise<number>): Promise<number[]> {
  const results: number[] = [];
  for (let run = 0; run < times; run++) results.push(await measure(run));
  return results;
}
