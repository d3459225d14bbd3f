/** The local side of the history archive (history-archive.ts has the rule). */
import { closeSync, fsyncSync, mkdirSync, openSync, readSync, readdirSync, fstatSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import {
  ARCHIVE_TAIL_BYTES,
  archiveAppends,
  lastArchivedLine,
  newestArchiveFile,
  type ArchiveAppend
} from '../history-archive.js'
import type { HistoryEvent } from '../history.js'
import { fsyncDir } from './atomic.js'

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw e
  }
}

function readTail(file: string): string {
  const fd = openSync(file, 'r')
  try {
    const size = fstatSync(fd).size
    const n = Math.min(size, ARCHIVE_TAIL_BYTES)
    const buf = Buffer.alloc(n)
    for (let off = 0; off < n;) {
      const got = readSync(fd, buf, off, n - off, size - n + off)
      if (got === 0) break
      off += got
    }
    const text = buf.toString('utf8')
    // A tail that starts mid-file starts mid-line: drop that piece.
    return n < size ? text.slice(text.indexOf('\n') + 1) : text
  } finally {
    closeSync(fd)
  }
}

/** Appends `a.text` to its file, first ending a torn last line; fsyncs. */
function appendOne(dir: string, a: ArchiveAppend): void {
  const fd = openSync(join(dir, a.file), 'a+', 0o644)
  try {
    const size = fstatSync(fd).size
    let text = a.text
    if (size > 0) {
      const last = Buffer.alloc(1)
      readSync(fd, last, 0, 1, size - 1)
      if (last[0] !== 0x0a) text = '\n' + text
    }
    const data = Buffer.from(text, 'utf8')
    for (let off = 0; off < data.length;) off += writeSync(fd, data, off, data.length - off)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** Appends the events of history.json not yet in `<dir>` (the archive directory). */
export function appendArchive(dir: string, events: readonly HistoryEvent[]): void {
  const file = newestArchiveFile(listDir(dir))
  const newest = file === undefined ? undefined : { file, last: lastLineOf(join(dir, file)) }
  const appends = archiveAppends(events, newest)
  if (appends.length === 0) return
  mkdirSync(dir, { recursive: true })
  for (const a of appends) appendOne(dir, a)
  fsyncDir(dir)
}

function lastLineOf(file: string): string | undefined {
  return lastArchivedLine(readTail(file))
}
