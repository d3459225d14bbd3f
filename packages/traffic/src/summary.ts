/**
 * The job summary: what changed, then the traffic timeline of this upstream
 * (who had what weight when, and why) as a table and as a mermaid gantt
 * chart, one section per server, a bar for each stretch it had traffic.
 */
import { escapeCell, table } from '@gantry/core'
import type { TrafficChange, TrafficHistory, Weights } from '@gantry/release'
import type { TrafficResult } from './traffic.js'
import { formatWeights } from './weights.js'

const TABLE_ROWS = 10
const CHART_CHANGES = 20

export function changesOf(h: TrafficHistory, upstream: string): TrafficChange[] {
  return h.changes.filter((c) => c.upstream === upstream)
}

function when(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')
}

export function timelineTable(changes: readonly TrafficChange[]): string {
  const rows = changes
    .slice(-TABLE_ROWS)
    .reverse()
    .map((c) => [
      when(c.at),
      c.actor ?? '–',
      formatWeights(c.weights),
      formatWeights(c.previous),
      c.drained?.join(', ') || '–',
      c.reason ?? '–'
    ])
  return table(['When (UTC)', 'Who', 'Weights', 'Before', 'Drained', 'Reason'], rows)
}

/** A mermaid name: section titles and task texts may not hold ':', '#' or ';' (mermaid's own syntax). */
function label(s: string): string {
  return s.replace(/[:#;\n\r]/g, ' ').trim() || '?'
}

const second = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ')

/**
 * A gantt chart over the last changes: each server's section has a bar per
 * stretch of constant non-zero weight, from the change that set it to the
 * next one (the last runs until `now`).
 */
export function timelineChart(changes: readonly TrafficChange[], upstream: string, now: Date): string {
  const recent = changes.slice(-CHART_CHANGES)
  if (recent.length === 0) return ''
  const names = [...new Set(recent.flatMap((c) => Object.keys(c.weights)))]
  const lines = [
    '```mermaid',
    'gantt',
    `    title Traffic of ${label(upstream)} (percent per server, UTC)`,
    // Wall-clock UTC, parsed and shown as written (a timestamp would be shown in the reader's zone).
    '    dateFormat YYYY-MM-DD HH:mm:ss',
    '    axisFormat %H:%M'
  ]
  for (const name of names) {
    const bars: { weight: number; start: number; end: number }[] = []
    let start: number | undefined
    let weight = 0
    const close = (end: number) => {
      if (start === undefined || weight === 0 || end <= start) return
      // A stretch shorter than a second between two of the same weight is not drawn: one bar, not two.
      const last = bars.at(-1)
      if (last && last.weight === weight && last.end === start) last.end = end
      else bars.push({ weight, start, end })
    }
    for (const c of recent) {
      // Whole seconds: mermaid's dates have no finer unit here.
      const t = Math.floor(Date.parse(c.at) / 1000) * 1000
      const w = c.weights[name] ?? 0
      if (start !== undefined && w === weight) continue
      close(t)
      start = t
      weight = w
    }
    // At least a second, so the last stretch shows when it has just begun.
    close(Math.max(now.getTime(), (start ?? 0) + 1000))
    if (bars.length === 0) continue
    lines.push(
      `    section ${label(name)}`,
      ...bars.map((b) => `    ${b.weight}% : ${second(b.start)}, ${second(b.end)}`)
    )
  }
  lines.push('```')
  return lines.join('\n')
}

export function trafficSummary(r: TrafficResult, now = new Date()): string {
  const moved = (w: Weights) => formatWeights(w)
  const verified =
    r.verified === true ? 'read back and matched' : r.verified === false ? 'not verified' : 'not readable'
  const changes = changesOf(r.history, r.upstream)
  return [
    `### traffic: ${escapeCell(r.router)} ${escapeCell(r.upstream)} on ${escapeCell(r.host)}`,
    '',
    `**${moved(r.previous)} → ${moved(r.weights)}**${r.drained.length ? `, drained ${r.drained.join(', ')}` : ''} (${verified}); recorded in ${escapeCell(r.store)}/.gantry/traffic.json`,
    '',
    `#### Traffic timeline (last ${Math.min(TABLE_ROWS, changes.length)} of ${changes.length} changes)`,
    '',
    timelineTable(changes),
    '',
    timelineChart(changes, r.upstream, now),
    ''
  ].join('\n')
}
