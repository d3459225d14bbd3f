/**
 * Levels by the performance clusters of the 2023 Accelerate State of DevOps
 * Report (DORA, Google Cloud). The report gives each cluster's typical value
 * (elite: on demand, < 1 day, 5%, < 1 hour; high: daily to weekly, 1 day to
 * 1 week, 10%, < 1 day; medium: weekly to monthly, 1 week to 1 month, 15%,
 * 1 day to 1 week; low: 64% failures, 1 to 6 months to recover); the
 * boundaries below are drawn between them (docs/insights.md says so).
 */
export type Level = 'elite' | 'high' | 'medium' | 'low'
export type OverallLevel = Level | 'n/a'

const DAY = 86_400_000
const HOUR = 3_600_000

export const LEVELS: readonly Level[] = ['elite', 'high', 'medium', 'low']

/** Deploys per day: elite ≥ 1 a day (on demand), high ≥ 1 a week, medium ≥ 1 a month (30 days). */
export function frequencyLevel(perDay: number): Level {
  return perDay >= 1 ? 'elite' : perDay >= 1 / 7 ? 'high' : perDay >= 1 / 30 ? 'medium' : 'low'
}

/** Lead time: elite < 1 day, high < 1 week, medium < 1 month (30 days). */
export function leadTimeLevel(ms: number): Level {
  return ms < DAY ? 'elite' : ms < 7 * DAY ? 'high' : ms < 30 * DAY ? 'medium' : 'low'
}

/** Change failure rate: elite ≤ 5%, high ≤ 10%, medium ≤ 15%. */
export function failureRateLevel(rate: number): Level {
  return rate <= 0.05 ? 'elite' : rate <= 0.1 ? 'high' : rate <= 0.15 ? 'medium' : 'low'
}

/** Time to restore: elite < 1 hour, high < 1 day, medium < 1 week. */
export function restoreLevel(ms: number): Level {
  return ms < HOUR ? 'elite' : ms < DAY ? 'high' : ms < 7 * DAY ? 'medium' : 'low'
}

/** The lowest of the levels known; `n/a` when none is. */
export function lowest(levels: ReadonlyArray<Level | undefined>): OverallLevel {
  const known = levels.filter((l): l is Level => l !== undefined)
  if (known.length === 0) return 'n/a'
  return known.reduce((a, b) => (LEVELS.indexOf(b) > LEVELS.indexOf(a) ? b : a))
}
