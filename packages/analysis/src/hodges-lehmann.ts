import { normalQuantile } from './normal.js'
import { assertSample, sorted, tieTerm } from './sample.js'
import { kthDifference, kthDifferences } from './select.js'

export interface HodgesLehmannResult {
  /** The median of the m·n differences x_i − y_j (canary − baseline). */
  shift: number
  lower: number
  upper: number
}

/**
 * Hodges-Lehmann shift of x (the canary) over y (the baseline) and its
 * confidence interval, with the semantics of R's
 * `wilcox.test(x, y, conf.int = TRUE, conf.level, exact = FALSE, correct = TRUE)`.
 *
 * R finds each end by root-finding (uniroot, tol 1e-4) on the standardized
 * statistic W(d) = (U(d) − mn/2 ∓ 0.5) / σ of x − d against y, where U(d) is
 * the number of differences above d: a step function that jumps at the sorted
 * differences D(1) ≤ … ≤ D(mn), so its crossings of ±z are order statistics.
 * Solved exactly instead of numerically:
 *   lower = D(kL), kL = ⌊mn/2 − 0.5 − z·σ⌋ + 1
 *   upper = D(kU), kU = ⌊mn/2 + 0.5 + z·σ⌋ + 1   (both clamped to 1…mn)
 * with z = Φ⁻¹(1 − (1 − confidence)/2) and σ² = mn/12 · (N + 1 − Σ(t³ − t)/(N(N − 1))),
 * the tie groups t taken within x and within y: at the d R evaluates, a value
 * of x − d ties another only if the two x are equal. Where R returns a point
 * within its tolerance of the jump, this returns the jump itself. The shift
 * is the median of the differences (R's `estimate` is the root of the
 * uncorrected statistic, the same point up to uniroot's tolerance).
 */
export function hodgesLehmann(x: readonly number[], y: readonly number[], confidence: number): HodgesLehmannResult {
  assertSample('hodgesLehmann x', x)
  assertSample('hodgesLehmann y', y)
  return hodgesLehmannSorted(sorted(x), sorted(y), confidence)
}

/** The ranks (1-based) of the order statistics hodgesLehmann takes as the interval's ends. */
export function intervalRanks(
  xs: Float64Array,
  ys: Float64Array,
  confidence: number
): { kLower: number; kUpper: number; sigma: number; z: number } {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`)
  const m = xs.length
  const n = ys.length
  const mn = m * n
  const N = m + n
  const ties = tieTerm(xs) + tieTerm(ys)
  const sigma = Math.sqrt((mn / 12) * (N + 1 - ties / (N * (N - 1))))
  const z = normalQuantile(1 - (1 - confidence) / 2)
  const clamp = (k: number): number => Math.min(Math.max(k, 1), mn)
  return {
    kLower: clamp(Math.floor(mn / 2 - 0.5 - z * sigma) + 1),
    kUpper: clamp(Math.floor(mn / 2 + 0.5 + z * sigma) + 1),
    sigma,
    z
  }
}

/** As hodgesLehmann, on samples already sorted ascending. */
export function hodgesLehmannSorted(xs: Float64Array, ys: Float64Array, confidence: number): HodgesLehmannResult {
  const mn = xs.length * ys.length
  const { kLower, kUpper } = intervalRanks(xs, ys, confidence)
  const h = Math.floor(mn / 2)
  const mid = mn % 2 === 1 ? [h + 1, h + 1] : [h, h + 1]
  const [a, b, lower, upper] = kthDifferences(xs, ys, [...mid, kLower, kUpper])
  return { shift: a === b ? a : (a + b) / 2, lower, upper }
}

/** The k-th smallest (1-based) of the m·n differences x_i − y_j, by selection (never an m·n array). */
export function kthSmallestDifference(x: readonly number[], y: readonly number[], k: number): number {
  assertSample('kthSmallestDifference x', x)
  assertSample('kthSmallestDifference y', y)
  return kthDifference(sorted(x), sorted(y), k)
}
