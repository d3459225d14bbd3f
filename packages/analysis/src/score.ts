import type { Classification } from './classify.js'

export interface ScoredMetric {
  name: string
  /** > 0; the metric's share of the score. */
  weight: number
  /** A failed critical metric scores the whole step 0. */
  critical: boolean
  classification: Classification
  failed: boolean
}

export interface ScoreOptions {
  /** 95: a score at least this passes the step. */
  passScore: number
  /** 75: at least this (and below passScore) is inconclusive; below fails. */
  marginalScore: number
}

export type StepVerdict = 'pass' | 'inconclusive' | 'fail'

export interface StepScore {
  /** 0–100: the weighted share of passing metrics among those with data. */
  score: number
  verdict: StepVerdict
  reasons: string[]
}

/**
 * One step's verdict from its metrics. Metrics without data are left out of
 * the score, and when they are half or more of the metrics the step is
 * `inconclusive` whatever the rest say: too little data must neither pass a
 * canary silently nor fail it on the few metrics left.
 */
export function scoreStep(results: readonly ScoredMetric[], { passScore, marginalScore }: ScoreOptions): StepScore {
  if (!(marginalScore <= passScore))
    throw new RangeError(`scoreStep: marginalScore ${marginalScore} is above passScore ${passScore}`)
  for (const r of results)
    if (!(r.weight > 0 && Number.isFinite(r.weight)))
      throw new RangeError(`scoreStep: ${r.name} has weight ${r.weight}, expected a number > 0`)
  const reasons: string[] = []
  const withData = results.filter((r) => r.classification !== 'nodata')
  const noData = results.length - withData.length
  const total = withData.reduce((s, r) => s + r.weight, 0)
  const passing = withData.filter((r) => !r.failed).reduce((s, r) => s + r.weight, 0)
  for (const r of withData)
    if (r.failed) reasons.push(`${r.name}: ${r.classification}${r.critical ? ' (critical)' : ''}`)
  const criticalFailed = withData.some((r) => r.failed && r.critical)
  const score = criticalFailed || total === 0 ? 0 : (100 * passing) / total
  if (results.length === 0 || noData * 2 >= results.length) {
    reasons.push(`${noData} of ${results.length} metrics have no data`)
    return { score, verdict: 'inconclusive', reasons }
  }
  if (criticalFailed) reasons.push('a critical metric failed: score 0')
  const verdict: StepVerdict = score >= passScore ? 'pass' : score >= marginalScore ? 'inconclusive' : 'fail'
  reasons.push(`score ${round(score)} (pass ≥ ${passScore}, marginal ≥ ${marginalScore})`)
  return { score, verdict, reasons }
}

const round = (v: number): string => String(Math.round(v * 100) / 100)
