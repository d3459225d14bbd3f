/**
 * The judge of one window (DESIGN: canary): each metric classified by
 * @gantry/analysis (values: Mann-Whitney with the Hodges-Lehmann interval;
 * counts: Fisher's exact test), then the step scored. Every number the
 * analysis gives is kept for the summary and the report.
 */
import { classifyMetric, classifyRate, scoreStep } from '@gantry/analysis'
import type { Judgement } from './run-canary.js'
import { points, type MetricData, type MetricSpec, type VariantPair, type WindowData } from './source.js'

export interface JudgeSettings {
  confidence: number
  tolerance: number
  minSamples: number
  passScore: number
  marginalScore: number
}

/** What one variant had in the window. */
export interface VariantFigures {
  n: number
  median?: number
  mean?: number
  /** count metrics: events out of n, and their share. */
  events?: number
  rate?: number
}

export interface MetricVerdict {
  name: string
  kind: MetricSpec['kind']
  direction: MetricSpec['direction']
  critical: boolean
  weight: number
  classification: 'pass' | 'high' | 'low' | 'nodata'
  failed: boolean
  baseline: VariantFigures
  canary: VariantFigures
  /** values: Mann-Whitney U of the canary sample, and its two-sided p-value. */
  u?: number
  p?: number
  /** values: Hodges-Lehmann shift (canary − baseline) and its interval at `confidence`. */
  shift?: number
  lower?: number
  upper?: number
  /** mean (values) or rate (counts) of the canary ÷ the baseline's. */
  ratio?: number
  /** Why, in words (nodata: which variant lacked points). */
  note?: string
}

export interface StepJudgement extends Judgement {
  metrics: MetricVerdict[]
  reasons: string[]
}

export function makeJudge(specs: readonly MetricSpec[], s: JudgeSettings): (data: WindowData) => StepJudgement {
  return (data) => {
    const metrics = specs.map((m) => judgeMetric(m, data[m.name], s))
    const scored = scoreStep(
      metrics.map((m) => ({
        name: m.name,
        weight: m.weight,
        critical: m.critical,
        classification: m.classification,
        failed: m.failed
      })),
      { passScore: s.passScore, marginalScore: s.marginalScore }
    )
    return { verdict: scored.verdict, score: scored.score, metrics, reasons: scored.reasons }
  }
}

function figures(d: MetricData | undefined): VariantFigures {
  if (!d) return { n: 0 }
  if (d.kind === 'count') return { n: d.total, events: d.events, rate: d.total ? d.events / d.total : undefined }
  const sorted = [...d.values].sort((a, b) => a - b)
  const n = sorted.length
  if (n === 0) return { n }
  const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
  return { n, median, mean: sorted.reduce((a, b) => a + b, 0) / n }
}

export function judgeMetric(m: MetricSpec, pair: VariantPair | undefined, s: JudgeSettings): MetricVerdict {
  const head = { name: m.name, kind: m.kind, direction: m.direction, critical: m.critical, weight: m.weight }
  const baseline = figures(pair?.baseline)
  const canary = figures(pair?.canary)
  const short = [
    ['baseline', pair?.baseline],
    ['canary', pair?.canary]
  ].filter(([, d]) => !d || points(d as MetricData) < s.minSamples)
  if (!pair || short.length > 0)
    return {
      ...head,
      classification: 'nodata',
      failed: false,
      baseline,
      canary,
      note: `fewer than min-samples ${s.minSamples} points for ${short.map(([v]) => v).join(' and ')}`
    }
  if (pair.baseline.kind === 'count' && pair.canary.kind === 'count') {
    const r = classifyRate({
      canaryFailures: pair.canary.events,
      canaryTotal: pair.canary.total,
      baselineFailures: pair.baseline.events,
      baselineTotal: pair.baseline.total,
      confidence: s.confidence,
      allowedIncrease: m.allowedIncrease,
      minSamples: s.minSamples
    })
    return {
      ...head,
      classification: r.classification,
      failed: r.failed,
      baseline,
      canary,
      p: r.p,
      ratio: r.rateRatio
    }
  }
  if (pair.baseline.kind === 'values' && pair.canary.kind === 'values') {
    const r = classifyMetric({
      canary: pair.canary.values,
      baseline: pair.baseline.values,
      direction: m.direction,
      tolerance: s.tolerance,
      confidence: s.confidence,
      allowedIncrease: m.allowedIncrease,
      minSamples: s.minSamples
    })
    return {
      ...head,
      classification: r.classification,
      failed: r.failed,
      baseline,
      canary,
      u: r.u,
      p: r.p,
      shift: r.shift,
      lower: r.lower,
      upper: r.upper,
      ratio: r.meanRatio
    }
  }
  throw new Error(`canary: metric ${m.name} has data of two kinds`)
}
