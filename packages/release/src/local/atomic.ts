/**
 * Crash-safe file primitives: a reader sees the old file or the new one, never
 * a half-written one, and after return the rename is on disk.
 */
import { closeSync, fsyncSync, linkSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { tempName } from '../layout.js'

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** A temp name beside `file` (same directory, so rename(2) is atomic). */
export function tempBeside(file: string): string {
  return join(dirname(file), tempName(basename(file)))
}

/**
 * Writes all of `text`, then fsyncs. write(2) may write less than asked (a
 * nearly full disk writes what fits and reports the count): loop until all is
 * written; the next write then fails (ENOSPC) and nothing is renamed into place.
 */
export function writeSynced(file: string, text: string): void {
  const data = Buffer.from(text, 'utf8')
  const fd = openSync(file, 'w', 0o644)
  try {
    for (let off = 0; off < data.length;) off += writeSync(fd, data, off, data.length - off)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** temp file, fsync, rename over `file`, fsync the directory; on failure `file` is untouched. */
export function writeFileAtomic(file: string, text: string): void {
  const tmp = tempBeside(file)
  try {
    writeSynced(tmp, text)
    renameSync(tmp, file)
  } catch (e) {
    try {
      unlinkSync(tmp)
    } catch {
      // already gone
    }
    throw new Error(`cannot write ${file}: ${(e as Error).message}`, { cause: e })
  }
  fsyncDir(dirname(file))
}

/** Creates `file` with `text` only when it does not exist (link(2) fails on EEXIST); false when it existed. */
export function createFileExclusive(file: string, text: string): boolean {
  const tmp = tempBeside(file)
  writeSynced(tmp, text)
  try {
    linkSync(tmp, file)
    fsyncDir(dirname(file))
    return true
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw e
  } finally {
    unlinkSync(tmp)
  }
}
