/**
 * The job summary: the four keys with their level, a mermaid chart of deploys
 * and failures per week, the slowest lead times, the last rollbacks with why.
 * Every string from history (release ids, reasons, actors) is escaped: it is
 * data from a file anyone with deploy rights wrote.
 */
import { formatDuration, showControls, table } from '@gantry/core'
import type { Insights } from './insights.js'
import type { Keys } from './keys.js'

/**
 * A history string made inert in Markdown: no HTML, no links, no emphasis, one
 * line. Entities rather than backslashes, so table()'s own cell escaping
 * (backslashes, pipes) composes with it.
 */
export function inert(value: unknown): string {
  return showControls(String(value ?? ''))
    .replace(/\r?\n/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[`*_[\]!~|]/g, (c) => `&#${c.charCodeAt(0)};`)
}

export const NA = 'n/a'

export function formatFrequency(perDay: number): string {
  if (perDay === 0) return '0'
  return perDay >= 1 ? `${perDay.toFixed(2)}/day` : `${(perDay * 7).toFixed(2)}/week`
}

const dur = (v: number | undefined) => (v === undefined ? NA : formatDuration(v))
const pct = (v: number | undefined) => (v === undefined ? NA : `${(v * 100).toFixed(1)}%`)

function keysTable(k: Keys): string {
  return table(
    ['key', 'value', 'level'],
    [
      [
        'deployment frequency',
        `${formatFrequency(k.deploymentFrequency)} (${k.deployments} deploys)`,
        k.levels.deploymentFrequency
      ],
      ['lead time for changes (median)', dur(k.leadTime), k.levels.leadTime ?? NA],
      ['change failure rate', pct(k.changeFailureRate), k.levels.changeFailureRate ?? NA],
      ['time to restore (median)', dur(k.timeToRestore), k.levels.timeToRestore ?? NA]
    ]
  )
}

function chart(r: Insights): string {
  const labels = r.weeks.map((w) => `"${w.start.slice(5, 10)}"`).join(', ')
  return [
    '```mermaid',
    'xychart-beta',
    '  title "Deploys (bars) and failures (line) per week"',
    `  x-axis [${labels}]`,
    '  y-axis "count"',
    `  bar [${r.weeks.map((w) => w.deployments).join(', ')}]`,
    `  line [${r.weeks.map((w) => w.failures).join(', ')}]`,
    '```'
  ].join('\n')
}

export interface SummaryNotes {
  /** Why lead times may read n/a (no checkout, a shallow clone). */
  commits?: string
}

export function insightsSummary(r: Insights, notes: SummaryNotes = {}, top = 5): string {
  const out = [
    `## 📈 Delivery record: level ${r.keys.level}`,
    '',
    `Window: ${r.window.from.slice(0, 10)} – ${r.window.to.slice(0, 10)} (${formatDuration(r.window.ms)}), ${r.environments.map((e) => inert(e.name)).join(', ')}.`,
    '',
    keysTable(r.keys)
  ]
  if (r.environments.length > 1)
    for (const e of r.environments) out.push('', `### ${inert(e.name)}: level ${e.keys.level}`, '', keysTable(e.keys))
  if (notes.commits) out.push('', `> ${inert(notes.commits)}`)
  out.push('', chart(r))
  const slow = r.deployments
    .filter((d) => d.leadTime !== undefined)
    .sort((a, b) => b.leadTime! - a.leadTime!)
    .slice(0, top)
  if (slow.length)
    out.push(
      '',
      '### Slowest lead times',
      '',
      table(
        ['release', 'environment', 'lead time (median)', 'new commits'],
        slow.map((d) => [
          inert(d.deployment.release),
          inert(d.deployment.environment),
          dur(d.leadTime),
          d.leads!.length
        ])
      )
    )
  const failed = r.deployments
    .filter((d) => d.deployment.failed)
    .slice(-top)
    .reverse()
  if (failed.length)
    out.push(
      '',
      '### Last rollbacks and failures',
      '',
      table(
        ['release', 'environment', 'activated', 'restored after', 'to', 'why', 'by'],
        failed.map(({ deployment: d }) => [
          inert(d.release),
          inert(d.environment),
          d.activatedAt,
          d.restoredAt ? formatDuration(Date.parse(d.restoredAt) - Date.parse(d.activatedAt)) : 'not restored',
          inert(d.restoredTo ?? ''),
          inert(d.reason ?? ''),
          inert(d.actor ?? '')
        ])
      )
    )
  out.push(
    '',
    'Levels: the 2023 Accelerate State of DevOps Report (DORA) performance clusters; definitions in docs/insights.md.'
  )
  return out.join('\n') + '\n'
}
