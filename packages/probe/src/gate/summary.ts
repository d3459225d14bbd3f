/**
 * The job-summary section: one row per URL a reviewer can read at a glance.
 * Settings are written as inputs are (formatDuration: 250ms, 5m); measurements with ms().
 */
import { formatDuration, ms, percent, table } from '@gantry/core'
import type { GateConfig, GateResult } from './gate.js'

export function gateSummary(r: GateResult, cfg: GateConfig): string {
  const head = r.ok ? `### ✅ health-gate passed` : `### ❌ health-gate failed`
  const rows = r.urls.map((u) => [
    u.url,
    u.attempts,
    u.healthy ? ms(u.timeToHealthyMs) : '–',
    ms(u.sample?.p50),
    ms(u.sample?.p95),
    ms(u.sample?.p99),
    u.sample ? `${percent(u.sample.errorRate)} (${u.sample.errors}/${u.sample.count})` : '–',
    u.ok ? '✅ pass' : '❌ fail',
    u.ok ? (u.lastReason ? `recovered from: ${u.lastReason}` : '') : u.reasons.join('; ')
  ])
  const limits = [
    `expect ${cfg.expect.status}${cfg.expect.body ? ` and body /${cfg.expect.body.source}/` : ''}`,
    `${cfg.threshold} consecutive passes every ${formatDuration(cfg.intervalMs)} within ${formatDuration(cfg.maxWaitMs)}`,
    `${cfg.samples} samples at concurrency ${cfg.concurrency}`,
    `max error rate ${percent(cfg.maxErrorRate)}`,
    cfg.maxP95Ms !== undefined ? `max p95 ${formatDuration(cfg.maxP95Ms)}` : undefined,
    cfg.baseline ? `p95 ≤ ${cfg.maxLatencyRatio} × baseline (${cfg.baseline.path})` : undefined
  ].filter(Boolean)
  return [
    head,
    '',
    table(['URL', 'attempts', 'time to healthy', 'p50', 'p95', 'p99', 'error rate', 'verdict', 'reason'], rows),
    '',
    `Gate: ${limits.join(' · ')}.`,
    ''
  ].join('\n')
}
