import { normalSf } from './normal.js'
import { assertSample, sorted } from './sample.js'

export type Alternative = 'two-sided' | 'less' | 'greater'
export type MannWhitneyMethod = 'auto' | 'exact' | 'asymptotic'

export interface MannWhitneyOptions {
  alternative: Alternative
  /** SciPy's `method`; `auto` (the default) picks as SciPy 1.10 does. */
  method?: MannWhitneyMethod
}

export interface MannWhitneyResult {
  /** U of the first sample (the canary): R1 − n1(n1 + 1)/2. */
  u: number
  p: number
  method: 'exact' | 'asymptotic'
}

/**
 * Mann-Whitney U test of x (the canary) against y (the baseline), with the
 * semantics of SciPy 1.10's `scipy.stats.mannwhitneyu(x, y, alternative,
 * method)` (continuity correction on): `greater` means x tends to be larger.
 *
 * `auto` is SciPy 1.10's rule as its code has it: exact when either sample has
 * at most 8 points and there are no ties, otherwise the normal approximation
 * with tie and continuity correction. (SciPy's code tests `n1 > 8 and n2 > 8`
 * for the approximation, so one small sample is enough for exact.)
 */
export function mannWhitneyU(
  x: readonly number[],
  y: readonly number[],
  options: MannWhitneyOptions
): MannWhitneyResult {
  assertSample('mannWhitneyU x', x)
  assertSample('mannWhitneyU y', y)
  return mannWhitneyUSorted(sorted(x), sorted(y), options)
}

/** Ranks of two sorted samples merged: x's rank sum, the tie term Σ(t³ − t), and whether any value repeats. */
export function rankSums(xs: Float64Array, ys: Float64Array): { r1: number; tieTerm: number; ties: boolean } {
  let i = 0
  let j = 0
  let pos = 0 // values already ranked
  let r1 = 0
  let tieTerm = 0
  while (i < xs.length || j < ys.length) {
    const v = j >= ys.length || (i < xs.length && xs[i] <= ys[j]) ? xs[i] : ys[j]
    const i0 = i
    const j0 = j
    while (i < xs.length && xs[i] === v) i++
    while (j < ys.length && ys[j] === v) j++
    const cx = i - i0
    const cy = j - j0
    const t = cx + cy
    r1 += cx * (pos + (t + 1) / 2) // every tied value gets the group's average rank
    tieTerm += t * t * t - t
    pos += t
  }
  return { r1, tieTerm, ties: tieTerm > 0 }
}

/** As mannWhitneyU, on samples already sorted ascending (the judge sorts once for the test and the shift). */
export function mannWhitneyUSorted(
  xs: Float64Array,
  ys: Float64Array,
  { alternative, method = 'auto' }: MannWhitneyOptions
): MannWhitneyResult {
  const n1 = xs.length
  const n2 = ys.length
  const { r1, tieTerm, ties } = rankSums(xs, ys)
  const chosen = method === 'auto' ? ((n1 > 8 && n2 > 8) || ties ? 'asymptotic' : 'exact') : method
  const u1 = r1 - (n1 * (n1 + 1)) / 2
  const u2 = n1 * n2 - u1
  // As SciPy: the upper tail of the statistic that the alternative makes large; two-sided doubles the larger one's.
  const [u, f] = alternative === 'greater' ? [u1, 1] : alternative === 'less' ? [u2, 1] : [Math.max(u1, u2), 2]
  let p: number
  if (chosen === 'exact') {
    // SciPy truncates a tied (half-integer) U to an integer, then sf(U) = cdf(mn − U) by symmetry.
    p = exactCdf(n1 * n2 - Math.trunc(u), n1, n2)
  } else {
    const n = n1 + n2
    const s = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))))
    p = normalSf((u - (n1 * n2) / 2 - 0.5) / s)
  }
  return { u: u1, p: Math.min(Math.max(p * f, 0), 1), method: chosen }
}

/**
 * P(U ≤ k) under the null for samples of m and n: the coefficients of the
 * Gaussian binomial [m+n choose m]_q = Π (1 − q^(n+i)) / (1 − q^i), built one
 * factor at a time (Harding 1984) and scaled to a distribution as it goes, so
 * large samples neither overflow nor cost SciPy's m·n·k table. Only the
 * coefficients up to the smaller tail are needed (the distribution is
 * symmetric about mn/2), so the cost is O(min(m, n) · min(k, mn − k)).
 */
export function exactCdf(k: number, m: number, n: number): number {
  const mn = m * n
  if (k < 0) return 0
  if (k >= mn) return 1
  const upper = k > mn / 2
  const top = upper ? mn - k - 1 : k // P(U ≤ k) = 1 − P(U ≤ mn − k − 1)
  const small = Math.min(m, n)
  const large = Math.max(m, n)
  if (small * (top + 1) > 2e9) throw new RangeError(`exact Mann-Whitney: samples of ${m} and ${n} are too large`)
  const a = new Float64Array(top + 1)
  a[0] = 1
  for (let i = 1; i <= small; i++) {
    const s = large + i
    for (let j = top; j >= s; j--) a[j] -= a[j - s] // × (1 − q^s)
    for (let j = i; j <= top; j++) a[j] += a[j - i] // ÷ (1 − q^i)
    const scale = i / s // the total grows by (n + i)/i: keep it 1
    for (let j = 0; j <= top; j++) a[j] *= scale
  }
  let sum = 0
  for (let j = 0; j <= top; j++) sum += a[j]
  return upper ? 1 - sum : sum
}
