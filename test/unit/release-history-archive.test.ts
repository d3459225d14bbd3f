// The history archive's rule (history-archive.ts) on hand-built cases, and the local target's files.
import { describe, expect, test } from '@jest/globals'
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  LocalTarget,
  MAX_EVENTS,
  addEvent,
  archiveAppends,
  emptyHistory,
  lastArchivedLine,
  type HistoryEvent
} from '@gantry/release'

const ev = (at: string, to = 'r'): HistoryEvent => ({ at, kind: 'deploy', to })
const line = (e: HistoryEvent) => JSON.stringify(e)

describe('archiveAppends', () => {
  const a = ev('2026-11-01T00:00:00.000Z', 'a')
  const b = ev('2026-11-02T00:00:00.000Z', 'b')
  const c = ev('2026-12-01T00:00:00.000Z', 'c')

  test('an empty archive gets every event, by month', () => {
    expect(archiveAppends([a, b, c], undefined)).toEqual([
      { file: '2026-11.jsonl', text: `${line(a)}\n${line(b)}\n` },
      { file: '2026-12.jsonl', text: `${line(c)}\n` }
    ])
  })

  test('only the events after the cursor; none on a retry', () => {
    expect(archiveAppends([a, b, c], { file: '2026-11.jsonl', last: line(a) })).toEqual([
      { file: '2026-11.jsonl', text: `${line(b)}\n` },
      { file: '2026-12.jsonl', text: `${line(c)}\n` }
    ])
    expect(archiveAppends([a, b, c], { file: '2026-12.jsonl', last: line(c) })).toEqual([])
  })

  test('a redeploy with equal fields: the cursor is the last equal event', () => {
    expect(archiveAppends([a, a, b], { file: '2026-11.jsonl', last: line(a) })).toEqual([
      { file: '2026-11.jsonl', text: `${line(b)}\n` }
    ])
  })

  test('a cursor no longer in history.json: the events later than its time', () => {
    const gone = ev('2026-11-01T12:00:00.000Z', 'gone')
    expect(archiveAppends([a, b], { file: '2026-11.jsonl', last: line(gone) })).toEqual([
      { file: '2026-11.jsonl', text: `${line(b)}\n` }
    ])
  })

  test('a clock set back: the event goes to the newest file, so the cursor stays last', () => {
    const early = ev('2026-10-30T00:00:00.000Z', 'early')
    expect(archiveAppends([c, early], { file: '2026-12.jsonl', last: line(c) })).toEqual([
      { file: '2026-12.jsonl', text: `${line(early)}\n` }
    ])
  })

  test('the cursor is the last whole line that is an event', () => {
    expect(lastArchivedLine(`${line(a)}\n${line(b)}\n`)).toBe(line(b))
    expect(lastArchivedLine(`${line(a)}\n{"at":"20`)).toBe(line(a))
    expect(lastArchivedLine(`${line(a)}\n{"at":"20\n`)).toBe(line(a))
    expect(lastArchivedLine('')).toBeUndefined()
  })
})

test('local: more events than history.json keeps are all in the archive, once', async () => {
  const base = join(mkdtempSync(join(tmpdir(), 'gantry-archive-')), 'app')
  const t = new LocalTarget(base)
  await t.init()
  const h = emptyHistory()
  const n = MAX_EVENTS + 40
  for (let i = 0; i < n; i++) {
    addEvent(h, ev(new Date(Date.UTC(2026, 10, 1) + i * 3_600_000).toISOString(), `r${i}`))
    if (i % 7 === 0 || i === n - 1) await t.writeHistory(h)
  }
  expect(h.events).toHaveLength(MAX_EVENTS)
  const dir = join(base, '.gantry', 'history')
  const all = readdirSync(dir)
    .sort()
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean))
    .map((l) => (JSON.parse(l) as HistoryEvent).to)
  expect(all).toEqual(Array.from({ length: n }, (_, i) => `r${i}`))
})
