/**
 * The canary's job summary: the verdict and why, one table row per metric of
 * every judged window (weights, sample sizes, medians, U, p, the HL shift and
 * its interval, the classification and the score), a mermaid chart of the
 * canary's weight and the score over time, and the traffic changes it made.
 */
import { escapeCell, formatDuration, percent, table } from '@gantry/core'
import { timelineTable } from '@gantry/traffic'
import type { CanaryOutcome } from './canary-action.js'
import type { MetricVerdict, StepJudgement } from './judge.js'
import { points } from './source.js'

const num = (v: number | undefined, digits = 2): string =>
  v === undefined || Number.isNaN(v) ? '–' : Number.isFinite(v) ? v.toFixed(digits) : v > 0 ? '∞' : '−∞'

const pValue = (p: number | undefined): string => (p === undefined ? '–' : p < 1e-4 ? p.toExponential(1) : p.toFixed(4))

function centre(m: MetricVerdict, v: 'baseline' | 'canary'): string {
  const f = m[v]
  return m.kind === 'count' ? `${f.events ?? 0}/${f.n} (${percent(f.rate)})` : `${num(f.median)} (n=${f.n})`
}

function shift(m: MetricVerdict): string {
  if (m.shift === undefined) return m.ratio === undefined ? '–' : `rate ×${num(m.ratio)}`
  return `${num(m.shift)} [${num(m.lower)}, ${num(m.upper)}]`
}

const CLASS: Record<MetricVerdict['classification'], string> = {
  pass: 'pass',
  high: 'high',
  low: 'low',
  nodata: 'no data'
}

function classification(m: MetricVerdict): string {
  return `${m.failed ? '❌' : m.classification === 'nodata' ? '⚪' : '✅'} ${CLASS[m.classification]}${m.critical ? ' (critical)' : ''}`
}

/** The outcome in one line. */
export function headline(r: CanaryOutcome): string {
  if (r.verdict === 'promoted') return `✅ **promoted**: ${r.reason}`
  const step = r.failedStep ? r.steps[r.failedStep - 1] : undefined
  const at = step ? ` at step ${step.step} (${step.weight}%)` : ''
  return `${r.verdict === 'aborted' ? '❌ **aborted**' : '⚪ **inconclusive**'}${at}: ${r.reason}`
}

export function stepRows(r: CanaryOutcome): unknown[][] {
  const rows: unknown[][] = []
  for (const s of r.steps) {
    if (s.outcome === 'promoted') {
      rows.push([s.step, `${s.weight}%`, '–', 'promotion (not judged)', '–', '–', '–', '–', '–', '–', '–'])
      continue
    }
    if (s.outcome === 'guard')
      rows.push([s.step, `${s.weight}%`, '–', 'guard', '–', '–', '–', '–', '–', `❌ ${s.guard?.join('; ') ?? ''}`, '–'])
    // The action's judge is makeJudge's: its judgements carry the metric verdicts.
    for (const j of s.judgements as unknown as Array<StepJudgement & { window: number }>) {
      for (const m of j.metrics)
        rows.push([
          s.step,
          `${s.weight}%`,
          j.window + 1,
          m.name,
          centre(m, 'baseline'),
          centre(m, 'canary'),
          m.u === undefined ? '–' : num(m.u, 1),
          pValue(m.p),
          shift(m),
          classification(m),
          `${j.score} (${j.verdict})`
        ])
    }
  }
  return rows
}

/** What the source said of each window (points per variant, lines left out as no data), one item per window. */
export function sourceNotes(r: CanaryOutcome): string[] {
  const out: string[] = []
  for (const s of r.steps)
    for (const j of s.judgements)
      if (j.notes?.length)
        out.push(`- step ${s.step} (${s.weight}%), window ${j.window + 1}: ${j.notes.map(escapeCell).join('; ')}`)
  return out
}

/**
 * For a source that asks for points and may get none (prometheus): per step and metric, the points
 * each variant had and those left out as no data (NaN, ±Inf, a step without a sample).
 */
export function dataRows(r: CanaryOutcome): unknown[][] {
  const rows: unknown[][] = []
  for (const s of r.steps)
    for (const [name, pair] of Object.entries(s.data ?? {}))
      if (pair.missing)
        rows.push([
          s.step,
          `${s.weight}%`,
          name,
          points(pair.baseline),
          points(pair.canary),
          pair.missing.baseline,
          pair.missing.canary
        ])
  return rows
}

/** Weight and score at each judgement, over the seconds since the canary began. */
export function weightScoreChart(r: CanaryOutcome): string {
  const start = r.steps[0]?.startedAt
  if (start === undefined) return ''
  const points: Array<{ t: number; weight: number; score: number }> = []
  for (const s of r.steps) {
    for (const j of s.judgements) points.push({ t: j.at, weight: s.weight, score: j.score })
    if (s.outcome === 'promoted') points.push({ t: s.startedAt, weight: 100, score: r.score })
  }
  if (r.verdict !== 'promoted' && r.changes.length > 0) {
    const last = r.changes.at(-1)!
    points.push({ t: last.at, weight: 0, score: r.score })
  }
  if (points.length === 0) return ''
  const label = (t: number) => `"+${Math.round((t - start) / 1000)}s"`
  return [
    '```mermaid',
    'xychart-beta',
    '    title "Canary weight (bars) and score (line), by seconds since the start"',
    `    x-axis [${points.map((p) => label(p.t)).join(', ')}]`,
    '    y-axis "percent" 0 --> 100',
    `    bar [${points.map((p) => p.weight).join(', ')}]`,
    `    line [${points.map((p) => p.score).join(', ')}]`,
    '```'
  ].join('\n')
}

function dataSection(r: CanaryOutcome): string[] {
  const rows = dataRows(r)
  if (rows.length === 0) return []
  return [
    `#### Points per variant (${escapeCell(r.source)})`,
    '',
    table(
      ['Step', 'Weight', 'Metric', 'Baseline points', 'Canary points', 'Baseline: no data', 'Canary: no data'],
      rows
    ),
    '',
    'Points with no data (NaN, ±Inf, or a step without a sample) are left out of the tests.',
    ''
  ]
}

export function canarySummary(r: CanaryOutcome): string {
  const notes = sourceNotes(r)
  const lines = [
    `### canary: ${escapeCell(r.canary)} against ${escapeCell(r.baseline)}, ${escapeCell(r.router)} ${escapeCell(r.upstream)} on ${escapeCell(r.host)}`,
    '',
    headline(r),
    '',
    `Source: ${escapeCell(r.source)}${r.sourceDetail ? ` (${escapeCell(r.sourceDetail)})` : ''}; score ${r.score}.${r.abortMs !== undefined ? ` All traffic was back on the baseline ${formatDuration(r.abortMs)} after the decision.` : ''}${r.marked ? ` ${escapeCell(r.marked.note)}.` : ''}`,
    '',
    '#### Steps',
    '',
    table(
      ['Step', 'Weight', 'Window', 'Metric', 'Baseline', 'Canary', 'U', 'p', 'HL shift [interval]', 'Class', 'Score'],
      stepRows(r)
    ),
    '',
    ...(notes.length ? [`#### Source notes (${escapeCell(r.source)})`, '', ...notes, ''] : []),
    ...dataSection(r),
    weightScoreChart(r),
    '',
    `#### Traffic changes (${r.recorded.length})`,
    '',
    timelineTable(r.recorded),
    ''
  ]
  return lines.join('\n')
}
