/**
 * The history archive: every history event is also appended, one JSON line
 * each, to `<path>/.gantry/history/<yyyy-mm>.jsonl`, so a long insights window
 * is exact although history.json keeps only MAX_EVENTS events. Pure functions
 * here; the targets read the archive's tail and append what these return.
 *
 * The rule (the same for every target):
 * - history.json is written first, then the archive: a crash between the two
 *   leaves events not yet archived, which the next write appends; history.json
 *   itself is never at risk from the archive.
 * - The cursor is the archive's last whole line (the newest file's). The events
 *   after the last event of history.json equal to it are appended; so a retry
 *   after a crash appends nothing twice. When that line is no longer in
 *   history.json (more than MAX_EVENTS events went unarchived), the events
 *   later than its `at` are appended. An empty archive gets every event
 *   history.json holds (a history from before the archive).
 * - An event goes to the file of its month, or to the newest file when that is
 *   later (a clock set back), so the newest file's last line is always the
 *   last event archived.
 * - A crash mid-append can leave a torn last line: the next append first ends
 *   it with a newline; readers skip lines that are not JSON, and its events are
 *   appended again whole since the cursor is the last whole line.
 */
import type { HistoryEvent } from './history.js'

/** `.gantry/history`, relative to `<path>`. */
export const ARCHIVE_DIR = 'history'
/** How many bytes of the newest file's tail the targets read to find the cursor. */
export const ARCHIVE_TAIL_BYTES = 64 * 1024

const MONTH_FILE = /^(\d{4}-\d{2})\.jsonl$/

/** Whether `name` is an archive file (`2026-11.jsonl`). */
export function isArchiveFile(name: string): boolean {
  return MONTH_FILE.test(name)
}

/** The newest archive file among `names` (they sort by name), or undefined. */
export function newestArchiveFile(names: readonly string[]): string | undefined {
  return names.filter(isArchiveFile).sort().at(-1)
}

/** The month (`yyyy-mm`) of an event's `at`; undefined when `at` is not an ISO time. */
export function eventMonth(at: unknown): string | undefined {
  return typeof at === 'string' ? /^(\d{4}-\d{2})-\d{2}T/.exec(at)?.[1] : undefined
}

/** The last whole line of a file's tail that is an event, as written (the cursor); undefined for none. */
export function lastArchivedLine(tail: string): string | undefined {
  const lines = tail.split('\n')
  // The piece after the last newline is empty (a whole file) or torn (a crash mid-append).
  lines.pop()
  for (let i = lines.length - 1; i >= 0; i--) if (parseEventLine(lines[i])) return lines[i]
  return undefined
}

/** One archive line as an event, or undefined when it is not one (a torn line, a blank). */
export function parseEventLine(line: string): HistoryEvent | undefined {
  if (line.trim() === '') return undefined
  try {
    const e = JSON.parse(line) as unknown
    return typeof e === 'object' && e !== null && typeof (e as HistoryEvent).kind === 'string'
      ? (e as HistoryEvent)
      : undefined
  } catch {
    return undefined
  }
}

/** Appends for one file: its name and the text (whole lines) to append. */
export interface ArchiveAppend {
  file: string
  text: string
}

/**
 * What to append, per file in order, given history.json's events and the
 * archive's newest file and its last whole line (see the rule above).
 */
export function archiveAppends(
  events: readonly HistoryEvent[],
  newest: { file: string; last?: string } | undefined,
  now: Date = new Date()
): ArchiveAppend[] {
  const lines = events.map((e) => JSON.stringify(e))
  let start = 0
  if (newest?.last !== undefined) {
    const at = lines.lastIndexOf(newest.last)
    if (at >= 0) start = at + 1
    else {
      const after = parseEventLine(newest.last)?.at ?? ''
      start = events.findIndex((e) => typeof e.at === 'string' && e.at > after)
      if (start < 0) start = events.length
    }
  }
  const out: ArchiveAppend[] = []
  let floor = newest ? newest.file.slice(0, 7) : ''
  for (let i = start; i < events.length; i++) {
    let month = eventMonth(events[i].at) ?? now.toISOString().slice(0, 7)
    if (month < floor) month = floor
    floor = month
    const file = `${month}.jsonl`
    const last = out.at(-1)
    if (last?.file === file) last.text += lines[i] + '\n'
    else out.push({ file, text: lines[i] + '\n' })
  }
  return out
}
