// The judge's rules (DESIGN, canary): a metric's classification, a rate's
// Fisher test, and a step's score and verdict.
import { describe, expect, test } from '@jest/globals'
import { classifyMetric, classifyRate, meanRatio, scoreStep } from '@gantry/analysis'
import type { MetricInput, ScoredMetric } from '@gantry/analysis'
import { rng } from '../helpers/analysis-reference.js'

/** n lognormal latencies around `median` ms (σ 0.3), from a seed. */
function latencies(seed: number, n: number, median: number): number[] {
  const r = rng(seed)
  return Array.from({ length: n }, () => {
    const z = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())
    return median * Math.exp(0.3 * z)
  })
}

const defaults = { tolerance: 0.25, confidence: 0.98, allowedIncrease: 1, minSamples: 50 }
const metric = (over: Partial<MetricInput>): MetricInput => ({
  canary: latencies(1, 200, 100),
  baseline: latencies(2, 200, 100),
  direction: 'increase',
  ...defaults,
  ...over
})

describe('classifyMetric', () => {
  test('a clearly slower canary is high and fails a latency (direction increase)', () => {
    const r = classifyMetric(metric({ canary: latencies(1, 200, 150) }))
    expect(r.classification).toBe('high')
    expect(r.failed).toBe(true)
    expect(r.lower).toBeGreaterThan(0.25 * Math.abs(r.shift))
    expect(r.shift).toBeGreaterThan(30)
    expect(r.meanRatio).toBeGreaterThan(1.3)
    expect(r.p).toBeLessThan(1e-10)
    expect(r.method).toBe('asymptotic')
    expect(r.canaryMedian).toBeGreaterThan(r.baselineMedian)
  })

  test('equal distributions pass, and every figure is reported', () => {
    const r = classifyMetric(metric({}))
    expect(r.classification).toBe('pass')
    expect(r.failed).toBe(false)
    expect(r.lower).toBeLessThanOrEqual(r.shift)
    expect(r.upper).toBeGreaterThanOrEqual(r.shift)
    expect(r.lower).toBeLessThan(0)
    expect(r.upper).toBeGreaterThan(0)
    for (const v of [r.canaryMedian, r.baselineMedian, r.canaryMean, r.baselineMean, r.meanRatio, r.u, r.p])
      expect(Number.isFinite(v)).toBe(true)
    expect([r.canaryCount, r.baselineCount]).toEqual([200, 200])
  })

  test('identical constant samples pass with a zero shift', () => {
    const r = classifyMetric(metric({ canary: new Array(60).fill(5), baseline: new Array(60).fill(5) }))
    expect([r.classification, r.shift, r.lower, r.upper, r.p]).toEqual(['pass', 0, 0, 0, 1])
  })

  test('fewer than min-samples points on either side is nodata, not a pass or a failure', () => {
    for (const r of [
      classifyMetric(metric({ canary: latencies(1, 49, 300) })),
      classifyMetric(metric({ baseline: latencies(2, 49, 10) })),
      classifyMetric(metric({ canary: [], baseline: [] }))
    ]) {
      expect(r.classification).toBe('nodata')
      expect(r.failed).toBe(false)
      expect(r.p).toBeNaN()
    }
    expect(
      classifyMetric(metric({ canary: latencies(1, 50, 150), baseline: latencies(2, 50, 100) })).classification
    ).toBe('high')
  })

  test('direction decides which change fails', () => {
    const faster = latencies(1, 200, 60)
    const lowIncrease = classifyMetric(metric({ canary: faster, direction: 'increase' }))
    expect([lowIncrease.classification, lowIncrease.failed]).toEqual(['low', false])
    const lowDecrease = classifyMetric(metric({ canary: faster, direction: 'decrease' }))
    expect([lowDecrease.classification, lowDecrease.failed]).toEqual(['low', true])
    const highDecrease = classifyMetric(metric({ canary: latencies(1, 200, 150), direction: 'decrease' }))
    expect([highDecrease.classification, highDecrease.failed]).toEqual(['high', false])
    for (const canary of [faster, latencies(1, 200, 150)])
      expect(classifyMetric(metric({ canary, direction: 'either' })).failed).toBe(true)
  })

  test('allowed-increase: a 1.5× slower canary passes when 2× is allowed, fails when 1.4× is', () => {
    const canary = latencies(1, 200, 150)
    expect(classifyMetric(metric({ canary, allowedIncrease: 2 })).classification).toBe('pass')
    expect(classifyMetric(metric({ canary, allowedIncrease: 1.4 })).classification).toBe('high')
    // and the mirror image for a decrease: 0.6× is not below 1/2
    expect(classifyMetric(metric({ canary: latencies(1, 200, 60), allowedIncrease: 2 })).classification).toBe('pass')
  })

  test('tolerance: a small but certain shift on many points is not high when the interval is inside the band', () => {
    const base = latencies(5, 4000, 100)
    const canary = latencies(6, 4000, 100).map((v) => v + 3)
    expect(classifyMetric(metric({ canary, baseline: base, tolerance: 0 })).classification).toBe('high')
    expect(classifyMetric(metric({ canary, baseline: base, tolerance: 0.9 })).classification).toBe('pass')
  })

  test('refuses a non-finite point', () => {
    expect(() => classifyMetric(metric({ canary: [...latencies(1, 60, 100), NaN] }))).toThrow(RangeError)
  })
})

describe('meanRatio', () => {
  test('a zero baseline: Infinity for any increase, 1 when both are zero', () => {
    expect([meanRatio(2, 1), meanRatio(3, 0), meanRatio(0, 0), meanRatio(-1, 0)]).toEqual([2, Infinity, 1, -Infinity])
  })
})

describe('classifyRate', () => {
  const rate = { confidence: 0.98, allowedIncrease: 1, minSamples: 50 }
  test('3% failures on the canary against 0.1% on the baseline, 600 requests each, fails', () => {
    for (const baselineFailures of [0, 1]) {
      const r = classifyRate({ canaryFailures: 18, canaryTotal: 600, baselineFailures, baselineTotal: 600, ...rate })
      expect([r.classification, r.failed]).toEqual(['high', true])
      expect(r.p).toBeLessThan(0.001)
      if (baselineFailures) expect(r.rateRatio).toBeCloseTo(18, 9)
      else expect(r.rateRatio).toBe(Infinity)
    }
  })

  test('equal or lower canary rates pass; so do both at zero', () => {
    for (const [cf, bf] of [
      [6, 6],
      [1, 18],
      [0, 0],
      [3, 1]
    ]) {
      const r = classifyRate({
        canaryFailures: cf,
        canaryTotal: 600,
        baselineFailures: bf,
        baselineTotal: 600,
        ...rate
      })
      expect([cf, bf, r.classification, r.failed]).toEqual([cf, bf, 'pass', false])
    }
    expect(
      classifyRate({ canaryFailures: 0, canaryTotal: 600, baselineFailures: 0, baselineTotal: 600, ...rate }).rateRatio
    ).toBe(1)
  })

  test('a significant rise smaller than allowed-increase passes', () => {
    const r = classifyRate({
      canaryFailures: 60,
      canaryTotal: 1000,
      baselineFailures: 20,
      baselineTotal: 1000,
      ...rate,
      allowedIncrease: 4
    })
    expect(r.p).toBeLessThan(0.02)
    expect([r.rateRatio, r.classification]).toEqual([3, 'pass'])
  })

  test('fewer requests than min-samples is nodata', () => {
    const r = classifyRate({ canaryFailures: 40, canaryTotal: 40, baselineFailures: 0, baselineTotal: 600, ...rate })
    expect([r.classification, r.failed]).toEqual(['nodata', false])
  })

  test('refuses more failures than requests', () => {
    expect(() =>
      classifyRate({ canaryFailures: 7, canaryTotal: 6, baselineFailures: 0, baselineTotal: 60, ...rate })
    ).toThrow(RangeError)
  })
})

describe('scoreStep', () => {
  const opts = { passScore: 95, marginalScore: 75 }
  const m = (name: string, over: Partial<ScoredMetric> = {}): ScoredMetric => ({
    name,
    weight: 1,
    critical: false,
    classification: 'pass',
    failed: false,
    ...over
  })
  const fail = { classification: 'high', failed: true } as const

  test('all passing scores 100 and passes', () => {
    expect(scoreStep([m('a'), m('b')], opts)).toMatchObject({ score: 100, verdict: 'pass' })
  })

  test('weights: the weighted share of passing metrics decides', () => {
    const r = scoreStep([m('a'), m('b'), m('latency', { weight: 2, ...fail })], opts)
    expect([r.score, r.verdict]).toEqual([50, 'fail'])
    expect(r.reasons.join('\n')).toContain('latency: high')
    const many = [m('bad', fail), ...Array.from({ length: 19 }, (_, i) => m(`ok${i}`))]
    expect(scoreStep(many, opts)).toMatchObject({ score: 95, verdict: 'pass' })
    expect(scoreStep([m('bad', { weight: 1, ...fail }), m('ok', { weight: 4 })], opts)).toMatchObject({
      score: 80,
      verdict: 'inconclusive'
    })
    // a low that the direction allows passes
    expect(scoreStep([m('a', { classification: 'low' })], opts)).toMatchObject({ score: 100, verdict: 'pass' })
  })

  test('a failed critical metric scores 0 and fails the step', () => {
    const many = [m('errors', { critical: true, ...fail }), ...Array.from({ length: 30 }, (_, i) => m(`ok${i}`))]
    const r = scoreStep(many, opts)
    expect([r.score, r.verdict]).toEqual([0, 'fail'])
    expect(r.reasons.join('\n')).toContain('critical')
  })

  test('half the metrics or more without data is inconclusive, never a silent pass or fail', () => {
    const nodata = { classification: 'nodata' } as const
    expect(scoreStep([m('a'), m('b', nodata)], opts).verdict).toBe('inconclusive')
    expect(scoreStep([m('a', fail), m('b', nodata)], opts).verdict).toBe('inconclusive')
    expect(scoreStep([m('a', { critical: true, ...fail }), m('b', nodata), m('c', nodata)], opts).verdict).toBe(
      'inconclusive'
    )
    expect(scoreStep([m('a', nodata)], opts).reasons.join('\n')).toContain('1 of 1 metrics have no data')
    expect(scoreStep([], opts).verdict).toBe('inconclusive')
    // less than half: the rest are scored alone
    expect(scoreStep([m('a'), m('b'), m('c', nodata)], opts)).toMatchObject({ score: 100, verdict: 'pass' })
    expect(scoreStep([m('a', fail), m('b'), m('c', nodata)], opts)).toMatchObject({ score: 50, verdict: 'fail' })
  })

  test('refuses a weight that is not positive and thresholds the wrong way round', () => {
    expect(() => scoreStep([m('a', { weight: 0 })], opts)).toThrow(RangeError)
    expect(() => scoreStep([m('a')], { passScore: 70, marginalScore: 80 })).toThrow(RangeError)
  })
})
