// ncc compiles the files it bundles without the tsconfig's include: the ambient types of jstat come by reference.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./jstat.d.ts" />
import jStat from 'jstat'

/**
 * Upper tail of the standard normal, P(Z > z). jstat's cdf is 0.5·(1 + erf),
 * so far in the tail the result is exact only in absolute terms (error below
 * 2e-17 against SciPy's ndtr, but 0 instead of 8e-24 at z = 10): that meets the
 * 1e-12 absolute tolerance, and a p-value that small only ever means "reject".
 * jstat's erfc is 1 − erf as well, so it would not do better.
 */
export function normalSf(z: number): number {
  if (Number.isNaN(z)) return NaN
  if (z === Infinity) return 0
  if (z === -Infinity) return 1
  return jStat.normal.cdf(-z, 0, 1)
}

/** The standard normal quantile (within 1e-14 of SciPy's ppf for p in [1e-3, 1 − 1e-3]). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normal quantile: p must be in (0, 1), got ${p}`)
  return jStat.normal.inv(p, 0, 1)
}
