import type { Alternative } from './mann-whitney.js'

export interface FisherResult {
  p: number
  /** The sample odds ratio ad/(bc); Infinity when b or c is 0, NaN when a row or column is empty. */
  oddsRatio: number
}

/** Relative tolerance for "as likely as the observed table" (R's fisher.test uses the same 1 + 1e-7). */
const TIES = 1 + 1e-7

/**
 * Fisher's exact test on the 2×2 table [[a, b], [c, d]], with the semantics of
 * SciPy's `scipy.stats.fisher_exact(table, alternative)`: under the null, a
 * follows the hypergeometric distribution with the margins fixed; `greater`
 * is P(A ≥ a) (the first row's odds are larger), `less` P(A ≤ a), two-sided
 * the sum of every table's probability that is at most the observed one's.
 * The probabilities are built by the ratio of consecutive terms outward from
 * the mode and normalized, so no factorials are needed and far tails only
 * underflow to 0. SciPy 1.10 finds the two-sided cut by binary search with
 * a 1 + 1e-14 tolerance; 1 + 1e-7 keeps equally likely tables together
 * against rounding and gives the same p on the fixtures.
 */
export function fisherExact(
  a: number,
  b: number,
  c: number,
  d: number,
  alternative: Alternative = 'two-sided'
): FisherResult {
  for (const v of [a, b, c, d])
    if (!(Number.isInteger(v) && v >= 0)) throw new RangeError(`fisherExact: ${v} is not a count`)
  const row1 = a + b
  const row2 = c + d
  const col1 = a + c
  if (row1 === 0 || row2 === 0 || col1 === 0 || b + d === 0) return { p: 1, oddsRatio: NaN }
  const oddsRatio = b > 0 && c > 0 ? (a * d) / (b * c) : Infinity
  const lowX = Math.max(0, col1 - row2)
  const highX = Math.min(row1, col1)
  const pmf = hypergeometric(lowX, highX, row1, row2, col1)
  const at = (x: number): number => pmf[x - lowX]
  let p = 0
  if (alternative === 'less') for (let x = lowX; x <= a; x++) p += at(x)
  else if (alternative === 'greater') for (let x = highX; x >= a; x--) p += at(x)
  else {
    const cut = at(a) * TIES
    for (let x = lowX; x <= highX; x++) if (at(x) <= cut) p += at(x)
  }
  return { p: Math.min(p, 1), oddsRatio }
}

/** P(A = x) for x in lowX…highX: A successes among col1 draws from row1 successes and row2 failures. */
function hypergeometric(lowX: number, highX: number, row1: number, row2: number, col1: number): Float64Array {
  const w = new Float64Array(highX - lowX + 1)
  // pmf(x + 1) / pmf(x) = (row1 − x)(col1 − x) / ((x + 1)(row2 − col1 + x + 1))
  const ratio = (x: number): number => ((row1 - x) * (col1 - x)) / ((x + 1) * (row2 - col1 + x + 1))
  const mode = Math.min(Math.max(Math.floor(((col1 + 1) * (row1 + 1)) / (row1 + row2 + 2)), lowX), highX)
  w[mode - lowX] = 1
  for (let x = mode; x < highX; x++) w[x + 1 - lowX] = w[x - lowX] * ratio(x)
  for (let x = mode; x > lowX; x--) w[x - 1 - lowX] = w[x - lowX] / ratio(x - 1)
  // Sum from the small ends inward, for the fewest rounding errors.
  let total = 0
  for (let x = lowX; x < mode; x++) total += w[x - lowX]
  for (let x = highX; x >= mode; x--) total += w[x - lowX]
  for (let i = 0; i < w.length; i++) w[i] /= total
  return w
}
