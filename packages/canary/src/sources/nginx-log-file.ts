/**
 * Reading an access log from an offset, streamed (bounded memory), on the
 * router host: locally through the file system, over ssh in chunks of
 * CHUNK bytes, each one `sh -c` call of a fixed script on the shared
 * connection with the path, inode and range as quoted arguments.
 *
 * Rotation, between two reads (LogCursor.advance):
 * - same inode, size ≥ the offset: the bytes from the offset to the end;
 * - a new inode at the path (logrotate's rename, then nginx reopens on USR1):
 *   the rest of the old file is read from `<access-log>.1` when that is the
 *   old inode (nginx may still be writing it until it reopens), then the new
 *   file from its start; an old file not found as `.1` (compressed at once, or
 *   removed) is said in the notes and its unread lines are lost;
 * - same inode, smaller (copytruncate), or not a line end just before the
 *   offset (truncated and written past it again): the rest is read from
 *   `<access-log>.1` when it holds the offset at a line end (the copy), then
 *   the file from its start; else said in the notes;
 * - the path gone: said, and read from its start when it comes back.
 * Not handled: two rotations between two reads (the older file is `.2`), and
 * lines nginx writes to the old file after the read that moved on to the new
 * one (before it reopened): both are lost, and only the first is said.
 */
import { open, stat } from 'node:fs/promises'
import { SshTarget } from '@gantry/release'
import type { RouterHost } from '@gantry/traffic'
import { LineSplitter } from './nginx-log-parse.js'

export interface LogStat {
  /** The inode, as text (st_ino may exceed 2^53). */
  ino: string
  size: number
}

export interface LogAccess {
  /** Where, for messages (`local`, `user@host`). */
  readonly where: string
  /** The file's inode and size; undefined when it does not exist. Throws when it is not a regular file. */
  stat(path: string): Promise<LogStat | undefined>
  /**
   * Streams bytes [from, to) of the file at `path` to `onChunk`, in order, if
   * it is still inode `ino`; false (nothing read) when it is not. A chunk is
   * the caller's only until the next one (its buffer may be reused).
   */
  read(path: string, ino: string, from: number, to: number, onChunk: (b: Buffer) => void): Promise<boolean>
}

export class LogFileError extends Error {}

/** The runner's own files: fs, one 1 MiB buffer reused. */
export class LocalLogAccess implements LogAccess {
  readonly where = 'local'
  constructor(private readonly chunk = 1 << 20) {}

  async stat(path: string): Promise<LogStat | undefined> {
    try {
      const s = await stat(path, { bigint: true })
      if (!s.isFile()) throw new LogFileError(`${path} is not a regular file`)
      return { ino: String(s.ino), size: Number(s.size) }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      if (e instanceof LogFileError) throw e
      throw new LogFileError(`cannot read ${path}: ${(e as Error).message}`)
    }
  }

  async read(path: string, ino: string, from: number, to: number, onChunk: (b: Buffer) => void): Promise<boolean> {
    let fh
    try {
      fh = await open(path, 'r')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false
      throw new LogFileError(`cannot read ${path}: ${(e as Error).message}`)
    }
    try {
      // The inode of what was opened: a rename after this point does not matter.
      if (String((await fh.stat({ bigint: true })).ino) !== ino) return false
      const buf = Buffer.allocUnsafe(Math.min(this.chunk, Math.max(1, to - from)))
      for (let pos = from; pos < to;) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, to - pos), pos)
        if (bytesRead === 0) break
        onChunk(buf.subarray(0, bytesRead))
        pos += bytesRead
      }
      return true
    } finally {
      await fh.close()
    }
  }
}

/** 8 MiB per ssh call: few round trips, bounded memory. */
export const CHUNK = 8 << 20

// $1 is the deploy root (SshTarget's convention, unused); values are $2….
const STAT = `if [ ! -e "$2" ]; then exit 3; fi
if [ ! -f "$2" ]; then echo "$2 is not a regular file" >&2; exit 4; fi
exec stat -L -c '%i %s' -- "$2"`
/** Opens the file once, checks the opened file's inode, then reads [from, from+len) through that descriptor. */
const READ = `exec 3< "$2" 2>/dev/null || exit 3
i=$(stat -L -c %i /dev/fd/3) || exit 1
[ "$i" = "$3" ] || exit 6
tail -c +"$(($4 + 1))" <&3 | head -c "$5"`

/** The router host over ssh (traffic's SshHost): stat and chunked reads. */
export class SshLogAccess implements LogAccess {
  constructor(
    readonly where: string,
    private readonly target: SshTarget,
    private readonly chunk = CHUNK
  ) {}

  async stat(path: string): Promise<LogStat | undefined> {
    const r = await this.target.exec('log-stat', STAT, [path])
    if (r.code === 3) return undefined
    if (r.code !== 0) throw new LogFileError(`${this.where}: cannot read ${path}: ${lastLine(r.stderr)}`)
    const m = /^(\d+) (\d+)\s*$/.exec(r.stdout.toString('utf8'))
    if (!m) throw new LogFileError(`${this.where}: stat of ${path} printed '${r.stdout.toString('utf8').trim()}'`)
    return { ino: m[1], size: Number(m[2]) }
  }

  async read(path: string, ino: string, from: number, to: number, onChunk: (b: Buffer) => void): Promise<boolean> {
    for (let pos = from; pos < to;) {
      const len = Math.min(this.chunk, to - pos)
      const r = await this.target.exec('log-read', READ, [path, ino, String(pos), String(len)])
      if (r.code === 3 || r.code === 6) return pos !== from
      if (r.code !== 0) throw new LogFileError(`${this.where}: cannot read ${path}: ${lastLine(r.stderr)}`)
      if (r.stdout.length === 0) break
      onChunk(r.stdout)
      pos += r.stdout.length
    }
    return true
  }
}

function lastLine(s: string): string {
  return (
    s
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean)
      .at(-1) ?? 'failed'
  )
}

/** The access to a router host's files: ssh when it is remote. */
export function logAccessOf(host: RouterHost | undefined): LogAccess {
  if (host?.remote && host.store instanceof SshTarget) return new SshLogAccess(host.name, host.store)
  return new LocalLogAccess()
}

/**
 * Reads [from, to) of one file into lines; only complete lines are consumed
 * unless `final` (the rest of a rotated file). From an offset past 0 the byte
 * before it is read too and must be a newline (the end of the last line
 * read): a file truncated and written past the offset again between two reads
 * fails that check. Returns the bytes consumed from `from`; undefined when the
 * path is no longer inode `ino`, `'moved'` when the byte before is not a newline.
 */
export async function readLines(
  access: LogAccess,
  path: string,
  ino: string,
  from: number,
  to: number,
  onLine: (line: string) => void,
  final = false
): Promise<number | undefined | 'moved'> {
  if (to <= from) return 0
  const boundary = from > 0
  let moved = false
  let first = boundary
  const split = new LineSplitter((l) => {
    if (first) {
      first = false
      moved = l !== ''
      return
    }
    if (!moved) onLine(l)
  })
  const ok = await access.read(path, ino, boundary ? from - 1 : from, to, (b) => {
    if (!moved) split.push(b)
  })
  if (!ok) return undefined
  if (first || moved) return 'moved'
  if (final) split.flush()
  return split.consumed - (boundary ? 1 : 0)
}

/** A position in the log: the file (inode) and the offset of the next unread line. */
export class LogCursor {
  private ino?: string
  private offset = 0
  /** Rotations and losses seen, for the notes. */
  readonly notes: string[] = []

  constructor(
    private readonly access: LogAccess,
    readonly path: string
  ) {}

  /** Starts at the file's current end (the step's start): what is there already is not this window's. */
  async start(): Promise<void> {
    const s = await this.access.stat(this.path)
    this.ino = s?.ino
    this.offset = s?.size ?? 0
  }

  /** Reads every complete line appended since the last call (or the start), across a rotation. */
  async advance(onLine: (line: string) => void): Promise<void> {
    const cur = await this.access.stat(this.path)
    if (this.ino === undefined) {
      if (cur) {
        this.notes.push(`${this.path} appeared: read from its start`)
        await this.fromStart(cur, onLine)
      }
      return
    }
    if (cur && cur.ino === this.ino && cur.size >= this.offset) {
      const n = await readLines(this.access, this.path, cur.ino, this.offset, cur.size, onLine)
      // undefined: replaced between the stat and the read, handled as a rotation at the next call.
      if (typeof n === 'number') this.offset += n
      if (n !== 'moved') return
    }
    const rotated = `${this.path}.1`
    const old = await this.access.stat(rotated)
    if (cur && cur.ino === this.ino) {
      // Truncated in place (copytruncate): the copy, if it holds the offset, has the rest.
      const got =
        old && old.size >= this.offset
          ? await readLines(this.access, rotated, old.ino, this.offset, old.size, onLine, true)
          : undefined
      const n = typeof got === 'number' ? got : undefined
      this.notes.push(
        n !== undefined
          ? `${this.path} was truncated (copytruncate): the rest of its lines were read from ${rotated}, then the file from its start`
          : `${this.path} was truncated and ${rotated} does not hold its old lines: the lines after byte ${this.offset} are lost`
      )
      this.offset = 0
      await this.fromStart(cur, onLine)
      return
    }
    const got =
      old && old.ino === this.ino
        ? await readLines(this.access, rotated, old.ino, this.offset, old.size, onLine, true)
        : undefined
    const n = typeof got === 'number' ? got : undefined
    this.notes.push(
      n !== undefined
        ? `${this.path} was rotated: the rest of the old file was read from ${rotated}${cur ? ', then the new file from its start' : ''}`
        : `${this.path} was rotated and the old file is not ${rotated} (compressed or removed): its lines after byte ${this.offset} are lost`
    )
    if (cur) await this.fromStart(cur, onLine)
    else {
      this.notes.push(`${this.path} is gone: read from its start when it comes back`)
      this.ino = undefined
      this.offset = 0
    }
  }

  private async fromStart(cur: LogStat, onLine: (line: string) => void): Promise<void> {
    this.ino = cur.ino
    this.offset = 0
    const n = await readLines(this.access, this.path, cur.ino, 0, cur.size, onLine)
    this.offset = typeof n === 'number' ? n : 0
  }
}
