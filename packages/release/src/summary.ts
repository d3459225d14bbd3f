/** Job-summary sections for deploy-atomic and auto-rollback: tables with verdicts and reasons. */
import { ms, table, verdict } from '@gantry/core'
import type { DeployResult } from './deploy.js'

function bytes(n: number | undefined): string {
  if (n === undefined) return '–'
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`
  return `${n} B`
}

export function deploySummary(r: DeployResult, environment: string | undefined, deploymentUrl?: string): string {
  const head = r.slot ? `release ${r.id} is in slot ${r.slot} (\`current\` untouched)` : `release ${r.id} is live`
  const lines = [
    `### deploy-atomic: ${verdict(true, head)}`,
    '',
    table(
      ['Release', 'Slot', 'Previous', 'Environment', 'Files', 'Size'],
      [
        [
          r.id,
          r.slot ?? '– (current)',
          r.previous ?? '(none)',
          environment ?? '–',
          r.manifest.files,
          bytes(r.manifest.bytes)
        ]
      ]
    ),
    '',
    table(
      ['Target', 'Verdict', 'Hard-linked', 'Copied', 'Cleaned up', 'Pruned', 'Activate'],
      r.targets.map((t) => [
        t.target,
        verdict(true, r.slot ? `slot ${r.slot} linked` : 'switched'),
        t.prepared?.linked ?? 0,
        t.prepared?.copied ?? 0,
        t.cleaned.length ? t.cleaned.join(', ') : '–',
        t.pruned.length ? t.pruned.join(', ') : '–',
        t.activate ? `exit ${t.activate.code}` : '–'
      ])
    ),
    '',
    table(
      ['Phase', 'Time'],
      Object.entries(r.timings).map(([k, v]) => [k, ms(v)])
    )
  ]
  if (deploymentUrl) lines.push('', `GitHub deployment: ${deploymentUrl}`)
  return lines.join('\n')
}

export function deployFailureSummary(message: string, environment: string | undefined, slot?: string): string {
  return [
    `### deploy-atomic: ${verdict(false, '', 'deploy failed')}`,
    '',
    table(['Environment', 'Slot', 'Reason'], [[environment ?? '–', slot ?? '– (current)', message]]),
    '',
    slot
      ? `Slot ${slot} keeps its previous release (\`slots/${slot}\` was not switched, or was switched back); \`current\` was not touched.`
      : 'The previous release keeps serving (`current` was not switched, or was switched back).'
  ].join('\n')
}

export interface RollbackSummary {
  rolledBack: boolean
  /** The slot rolled back (`slots/<slot>`), undefined for `current`. */
  slot?: string
  from?: string
  to?: string
  reason: string
  durationMs?: number
  environment?: string
  health?: { ok: boolean; detail: string; urls?: ReadonlyArray<{ url: string; ok: boolean; detail: string }> }
  watch?: WindowStats & { elapsedMs: number; urls?: ReadonlyArray<WindowStats & { url: string; breach?: string }> }
  /** With slot and a router: what happened to the slot's traffic (moved back, or left alone and why). */
  traffic?: string
  error?: string
}

interface WindowStats {
  probes: number
  failures: number
  errorRate: number
  p95?: number
  p95Limit?: number
}

const windowCells = (w: WindowStats) => [
  w.probes,
  w.failures,
  `${(w.errorRate * 100).toFixed(1)}%`,
  ms(w.p95),
  ms(w.p95Limit)
]

export function rollbackSummary(s: RollbackSummary): string {
  const head = s.error
    ? `### auto-rollback: ${verdict(false, '', 'rollback failed')}`
    : s.rolledBack
      ? `### auto-rollback: ❌ deployment failed — rolled back ${s.slot ? `slot ${s.slot} ` : ''}from ${s.from ?? '(none)'} to ${s.to}`
      : `### auto-rollback: ${verdict(true, `no rollback needed: ${s.to ?? 'current'} stayed healthy`)}`
  const lines = [
    head,
    '',
    table(
      ['Rolled back', 'Slot', 'From', 'To', 'Environment', 'Switch time', 'Reason'],
      [
        [
          s.rolledBack ? 'yes' : 'no',
          s.slot ?? '– (current)',
          s.from ?? '–',
          s.to ?? '–',
          s.environment ?? '–',
          ms(s.durationMs),
          s.reason
        ]
      ]
    )
  ]
  if (s.traffic) lines.push('', `Traffic: ${s.traffic}`)
  // With several URLs, a row per URL says which one breached or failed; one URL keeps the one-row tables.
  const w = s.watch
  if (w) {
    const each = w.urls && w.urls.length > 1 ? w.urls : undefined
    lines.push(
      '',
      each
        ? table(
            ['URL', 'Watch', 'Probes', 'Failed', 'Error rate', 'p95', 'p95 limit', 'Verdict'],
            each.map((u) => [u.url, ms(w.elapsedMs), ...windowCells(u), verdict(!u.breach, 'healthy', u.breach)])
          )
        : table(['Watch', 'Probes', 'Failed', 'Error rate', 'p95', 'p95 limit'], [[ms(w.elapsedMs), ...windowCells(w)]])
    )
  }
  const h = s.health
  if (h) {
    const each = h.urls && h.urls.length > 1 ? h.urls : undefined
    lines.push(
      '',
      each
        ? table(
            ['URL', 'Health after the switch', 'Detail'],
            each.map((u) => [u.url, verdict(u.ok, 'healthy', 'unhealthy'), u.detail])
          )
        : table(['Health after the switch', 'Detail'], [[verdict(h.ok, 'healthy', 'unhealthy'), h.detail]])
    )
  }
  if (s.error) lines.push('', `**Why:** ${s.error}`)
  else if (s.rolledBack) {
    lines.push('', `Release ${s.from ?? '(none)'} is marked **bad** in history and will never be a rollback target.`)
    if (s.slot)
      lines.push(
        '',
        `Only \`slots/${s.slot}\` was relinked (\`current\` untouched); move the traffic back to this slot's old release with the traffic action if the router sends any to it.`
      )
  }
  return lines.join('\n')
}
