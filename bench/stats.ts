/**
 * Order statistics for benchmark samples: medians with their spread, so every
 * number in the results comes with its variance.
 *
 * @module
 */

/** The summary of one sample set. */
export interface Summary {
  /** Number of samples. */
  readonly n: number;
  readonly min: number;
  /** First quartile. */
  readonly q1: number;
  readonly median: number;
  /** Third quartile. */
  readonly q3: number;
  readonly max: number;
}

/**
 * The q-quantile of samples (0 ≤ q ≤ 1) by linear interpolation between the
 * closest ranks (the "R-7" method of spreadsheets and NumPy).
 *
 * @example
 * ```ts
 * quantile([1, 2, 3, 4], 0.5); // 2.5
 * ```
 */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) {
    throw new RangeError("Cannot compute a quantile as there are no samples: current length is 0");
  }
  if (!(q >= 0 && q <= 1)) {
    throw new RangeError(`Cannot compute a quantile as q must be in 0..1: current value is ${q}`);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  const a = sorted[low]!;
  const b = sorted[high]!;
  return a + (b - a) * (position - low);
}

/** The median of samples. */
export function median(samples: readonly number[]): number {
  return quantile(samples, 0.5);
}

/**
 * Min, quartiles, median and max of samples, or `null` when there are none.
 *
 * @example
 * ```ts
 * summarize([3, 1, 2])?.median; // 2
 * ```
 */
export function summarize(samples: readonly number[]): Summary | null {
  const finite = samples.filter((s) => Number.isFinite(s));
  if (finite.length === 0) return null;
  return {
    n: finite.length,
    min: Math.min(...finite),
    q1: quantile(finite, 0.25),
    median: quantile(finite, 0.5),
    q3: quantile(finite, 0.75),
    max: Math.max(...finite),
  };
}
