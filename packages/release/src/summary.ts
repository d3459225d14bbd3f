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
  const lines = [
    `### deploy-atomic: ${verdict(true, `release ${r.id} is live`)}`,
    '',
    table(
      ['Release', 'Previous', 'Environment', 'Files', 'Size'],
      [[r.id, r.previous ?? '(none)', environment ?? '–', r.manifest.files, bytes(r.manifest.bytes)]]
    ),
    '',
    table(
      ['Target', 'Verdict', 'Hard-linked', 'Copied', 'Cleaned up', 'Pruned', 'Activate'],
      r.targets.map((t) => [
        t.target,
        verdict(true, 'switched'),
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

export function deployFailureSummary(message: string, environment: string | undefined): string {
  return [
    `### deploy-atomic: ${verdict(false, '', 'deploy failed')}`,
    '',
    table(['Environment', 'Reason'], [[environment ?? '–', message]]),
    '',
    'The previous release keeps serving (`current` was not switched, or was switched back).'
  ].join('\n')
}
