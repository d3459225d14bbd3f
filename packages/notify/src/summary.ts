/** The job-summary section: what was said, and where it arrived (or why not). */
import { escapeCell, ms, table } from '@gantry/core'
import type { Message } from './message.js'
import type { ChannelResult } from './notify.js'

function cell(value: string, url?: string): string {
  // Link text is escaped by table(); the URL must not break out of the link.
  return url ? `[${value.replace(/[[\]]/g, '')}](${url.replace(/[()\s|]/g, encodeURIComponent)})` : value
}

export function notifySummary(m: Message, results: ChannelResult[]): string {
  const lines = [`### ${escapeCell(m.title)}`, '', `> ${m.text.replace(/\r?\n/g, ' ')}`, '']
  lines.push(
    table(
      ['Fact', 'Value'],
      m.facts.map((f) => [f.label, cell(f.value, f.url)])
    ),
    ''
  )
  if (results.length === 0) {
    lines.push('No channel configured: nothing was sent; this summary is the notification.')
  } else {
    const failed = results.filter((r) => !r.ok).length
    lines.push(
      table(
        ['Channel', 'Verdict', 'Attempts', 'Time', 'Detail'],
        results.map((r) => [r.channel, r.ok ? '✅ sent' : '❌ failed', r.attempts, ms(r.durationMs), r.detail])
      ),
      '',
      failed
        ? `${failed} of ${results.length} channel(s) failed; the others were not held back.`
        : `All ${results.length} channel(s) delivered.`
    )
  }
  return lines.join('\n')
}
