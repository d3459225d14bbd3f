import { fisherExact } from './fisher.js'
import { hodgesLehmannSorted } from './hodges-lehmann.js'
import { mannWhitneyUSorted } from './mann-whitney.js'
import { mean, sorted, sortedMedian } from './sample.js'

export type Direction = 'increase' | 'decrease' | 'either'
export type Classification = 'high' | 'low' | 'pass' | 'nodata'

export interface MetricInput {
  canary: readonly number[]
  baseline: readonly number[]
  /** Which change is bad: `increase` fails `high`, `decrease` fails `low`, `either` both. */
  direction: Direction
  /** Share of |shift| the interval must clear (0.25). */
  tolerance: number
  /** Confidence of the Hodges-Lehmann interval (0.98). */
  confidence: number
  /** Mean ratio (canary ÷ baseline) a `high` needs at least, and a `low` at most its inverse (1.0). */
  allowedIncrease: number
  /** Fewer points than this in either sample is `nodata` (50). */
  minSamples: number
}

export interface MetricResult {
  classification: Classification
  failed: boolean
  canaryCount: number
  baselineCount: number
  /** The figures below are NaN when there is no data. */
  canaryMedian: number
  baselineMedian: number
  canaryMean: number
  baselineMean: number
  /** mean(canary) ÷ mean(baseline); see meanRatio. */
  meanRatio: number
  /** Mann-Whitney U of the canary, two-sided p, and whether p came from the exact distribution. */
  u: number
  p: number
  method: 'exact' | 'asymptotic' | 'none'
  /** Hodges-Lehmann shift (canary − baseline) and its interval at `confidence`. */
  shift: number
  lower: number
  upper: number
}

/**
 * canary ÷ baseline, defined for every pair of means: a zero baseline gives
 * ±Infinity when the canary is not zero (any increase from nothing is
 * unbounded) and 1 when both are zero (no change).
 */
export function meanRatio(canary: number, baseline: number): number {
  if (baseline !== 0) return canary / baseline
  return canary === 0 ? 1 : canary > 0 ? Infinity : -Infinity
}

/**
 * One metric of one step, as Kayenta's MannWhitneyClassifier: `high` when the
 * whole interval lies above the shift's tolerance band (lower > tolerance ×
 * |shift|) and the means rose by at least `allowedIncrease`, `low` the mirror
 * image, `pass` otherwise. The p-value is reported, not used: the interval
 * already carries the significance, and the band keeps a tiny but certain
 * shift on many points from failing.
 */
export function classifyMetric(input: MetricInput): MetricResult {
  const { canary, baseline, direction, tolerance, confidence, allowedIncrease, minSamples } = input
  for (const [name, xs] of [
    ['canary', canary],
    ['baseline', baseline]
  ] as const)
    for (const v of xs) if (!Number.isFinite(v)) throw new RangeError(`classifyMetric: ${name} has ${v}`)
  if (!(tolerance >= 0)) throw new RangeError(`classifyMetric: tolerance must be ≥ 0, got ${tolerance}`)
  if (!(allowedIncrease > 0))
    throw new RangeError(`classifyMetric: allowedIncrease must be > 0, got ${allowedIncrease}`)
  const counts = { canaryCount: canary.length, baselineCount: baseline.length }
  if (canary.length < Math.max(minSamples, 1) || baseline.length < Math.max(minSamples, 1))
    return {
      classification: 'nodata',
      failed: false,
      ...counts,
      canaryMedian: NaN,
      baselineMedian: NaN,
      canaryMean: NaN,
      baselineMean: NaN,
      meanRatio: NaN,
      u: NaN,
      p: NaN,
      method: 'none',
      shift: NaN,
      lower: NaN,
      upper: NaN
    }
  const cs = sorted(canary)
  const bs = sorted(baseline)
  const { u, p, method } = mannWhitneyUSorted(cs, bs, { alternative: 'two-sided' })
  const { shift, lower, upper } = hodgesLehmannSorted(cs, bs, confidence)
  const canaryMean = mean(canary)
  const baselineMean = mean(baseline)
  const ratio = meanRatio(canaryMean, baselineMean)
  const band = tolerance * Math.abs(shift)
  const classification: Classification =
    lower > band && ratio >= allowedIncrease ? 'high' : upper < -band && ratio <= 1 / allowedIncrease ? 'low' : 'pass'
  const failed =
    (classification === 'high' && direction !== 'decrease') || (classification === 'low' && direction !== 'increase')
  return {
    classification,
    failed,
    ...counts,
    canaryMedian: sortedMedian(cs),
    baselineMedian: sortedMedian(bs),
    canaryMean,
    baselineMean,
    meanRatio: ratio,
    u,
    p,
    method,
    shift,
    lower,
    upper
  }
}

export interface RateInput {
  canaryFailures: number
  canaryTotal: number
  baselineFailures: number
  baselineTotal: number
  /** 0.98: fail when Fisher's p < 1 − confidence. */
  confidence: number
  /** The rate ratio (canary ÷ baseline) a failure needs at least (1.0). */
  allowedIncrease: number
  /** A total below this on either side is `nodata`. */
  minSamples: number
}

export interface RateResult {
  classification: 'high' | 'pass' | 'nodata'
  failed: boolean
  canaryRate: number
  baselineRate: number
  /** canaryRate ÷ baselineRate, by meanRatio's rule: Infinity when only the baseline is 0, 1 when both are. */
  rateRatio: number
  /** Fisher's exact p, one-sided: the canary's failure rate greater. */
  p: number
  oddsRatio: number
}

/**
 * An error or status rate of one step: Fisher's exact test, one-sided (only
 * more failures on the canary matter), failing when it is significant at
 * `confidence` and the canary's rate is at least `allowedIncrease` times the
 * baseline's.
 */
export function classifyRate(input: RateInput): RateResult {
  const { canaryFailures, canaryTotal, baselineFailures, baselineTotal, confidence, allowedIncrease, minSamples } =
    input
  for (const [f, t] of [
    [canaryFailures, canaryTotal],
    [baselineFailures, baselineTotal]
  ])
    if (!(Number.isInteger(f) && Number.isInteger(t) && f >= 0 && f <= t))
      throw new RangeError(`classifyRate: ${f} failures of ${t} is not a count`)
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`classifyRate: confidence must be in (0, 1)`)
  if (canaryTotal < Math.max(minSamples, 1) || baselineTotal < Math.max(minSamples, 1))
    return {
      classification: 'nodata',
      failed: false,
      canaryRate: NaN,
      baselineRate: NaN,
      rateRatio: NaN,
      p: NaN,
      oddsRatio: NaN
    }
  const canaryRate = canaryFailures / canaryTotal
  const baselineRate = baselineFailures / baselineTotal
  const rateRatio = meanRatio(canaryRate, baselineRate)
  const { p, oddsRatio } = fisherExact(
    canaryFailures,
    canaryTotal - canaryFailures,
    baselineFailures,
    baselineTotal - baselineFailures,
    'greater'
  )
  const failed = p < 1 - confidence && rateRatio >= allowedIncrease
  return { classification: failed ? 'high' : 'pass', failed, canaryRate, baselineRate, rateRatio, p, oddsRatio }
}
