/** The job-summary sections of main and post: one row per unit with its verdict and reason. */
import { table } from '@gantry/core'
import type { UnitResult } from './restore.js'
import type { SaveOutcome } from './save.js'

const ICON = { hit: '✅ hit', miss: '🔨 miss', corrupt: '⚠️ corrupted → miss' } as const

export function mainSummary(
  results: readonly UnitResult[],
  info: { key: string; backend: string; files: number; source: string; keysMs: number; listMs: number }
): string {
  const hits = results.filter((r) => r.status === 'hit').length
  const head = `### build-cache: ${hits}/${results.length} restored, ${results.length - hits} to build`
  const rows = results.map((r) => [
    r.dir === '.' ? '(whole tree)' : `\`${r.dir}\``,
    ICON[r.status],
    r.status === 'hit' ? `${r.restoredFiles} file(s)` : r.deps.length ? `deps: ${r.deps.join(', ')}` : '',
    r.reason,
    `\`${r.key.length > 60 ? `${r.key.slice(0, 57)}...` : r.key}\``
  ])
  return [
    head,
    '',
    table(['Component', 'Result', 'Restored / deps', 'Why', 'Key'], rows),
    '',
    `Key \`${info.key}\` from ${info.files} file(s) (${info.source === 'git' ? "git's index" : 'a file walk'}), ` +
      `listed in ${info.listMs} ms, keyed in ${info.keysMs} ms; backend \`${info.backend}\`.`
  ].join('\n')
}

export function postSummary(outcomes: readonly SaveOutcome[], save: string): string {
  if (outcomes.length === 0) return `### build-cache post: nothing to save (every component was restored)`
  const icon = { saved: '✅ saved', exists: '⚠️ kept existing', failed: '❌ not saved', skipped: '⚠️ skipped' } as const
  const rows = outcomes.map((o) => [
    o.dir === '.' ? '(whole tree)' : `\`${o.dir}\``,
    icon[o.status],
    o.files,
    `${(o.bytes / 1024).toFixed(1)} KiB`,
    o.message
  ])
  const saved = outcomes.filter((o) => o.status === 'saved').length
  return [
    `### build-cache post: saved ${saved}/${outcomes.length} (save: ${save})`,
    '',
    table(['Component', 'Result', 'Files', 'Size', 'Note'], rows)
  ].join('\n')
}
