/**
 * Reading one host's delivery record from `<path>/.gantry`: history.json (its
 * releases and last events) and every `history/<yyyy-mm>.jsonl` (all events),
 * merged and de-duplicated, plus traffic.json when present. Missing files are
 * an empty record (a path never deployed reads as no deployments); a file that
 * exists but cannot be read or parsed is an error naming it.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import {
  ARCHIVE_DIR,
  HISTORY,
  STATE,
  TRAFFIC,
  emptyHistory,
  isArchiveFile,
  parseEventLine,
  parseHistory,
  parseTraffic,
  type HistoryEvent,
  type ReleaseRecord,
  type TrafficChange
} from '@gantry/release'

/** What one host (one `<path>`) recorded. */
export interface HostRecord {
  /** The host's label (`production:/srv/app`). */
  name: string
  releases: ReleaseRecord[]
  /** Every event, oldest first, once. */
  events: HistoryEvent[]
  traffic: TrafficChange[]
}

export class InsightsReadError extends Error {}

function readIfPresent(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new InsightsReadError(`cannot read ${file}: ${(e as Error).message}`)
  }
}

/** Events of history.json and the archive lines, de-duplicated by their JSON text, in time order. */
export function mergeEvents(...lists: ReadonlyArray<readonly HistoryEvent[]>): HistoryEvent[] {
  const seen = new Set<string>()
  const out: HistoryEvent[] = []
  for (const list of lists)
    for (const e of list) {
      const key = JSON.stringify(e)
      if (seen.has(key)) continue
      seen.add(key)
      out.push(e)
    }
  // A stable sort: events with the same time keep the order they were written in.
  return out.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
}

/** Reads `<path>/.gantry`; `name` labels the host in messages. */
export function readHost(name: string, path: string): HostRecord {
  const state = join(path, STATE)
  const historyFile = join(state, HISTORY)
  const text = readIfPresent(historyFile)
  let history = emptyHistory()
  if (text !== undefined) {
    try {
      history = parseHistory(text)
    } catch (e) {
      throw new InsightsReadError(`${historyFile}: ${(e as Error).message}`)
    }
  }
  const dir = join(state, ARCHIVE_DIR)
  let files: string[] = []
  try {
    files = readdirSync(dir).filter(isArchiveFile).sort()
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new InsightsReadError(`cannot read ${dir}: ${(e as Error).message}`)
  }
  // Lines that are not events (a line torn by a crash mid-append) are skipped: the archive's rule re-appends them.
  const archived = files.map((f) =>
    (readIfPresent(join(dir, f)) ?? '').split('\n').flatMap((l) => parseEventLine(l) ?? [])
  )
  const trafficFile = join(state, TRAFFIC)
  const trafficText = readIfPresent(trafficFile)
  let traffic: TrafficChange[] = []
  if (trafficText !== undefined) {
    try {
      traffic = parseTraffic(trafficText, trafficFile).changes
    } catch (e) {
      throw new InsightsReadError((e as Error).message)
    }
  }
  return { name, releases: history.releases, events: mergeEvents(...archived, history.events), traffic }
}
