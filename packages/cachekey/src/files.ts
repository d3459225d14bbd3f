/**
 * The input files of a directory, each with a content id, in git's order
 * (UTF-8 bytes, i.e. code points).
 *
 * In a git checkout, `git ls-files -s -o` gives the index's blob ids (no file
 * is read) and the untracked files no ignore rule covers; `git diff-files`, run
 * beside it, names the files that are modified or deleted; only those few and
 * the untracked ones are hashed here. In a clean checkout git's own output *is*
 * the canonical file text (`bytes`), so the key hashes it without decoding or
 * parsing a line. Outside git, a plain walk hashes
 * every file (skipping .git and node_modules) into the same format.
 */
import { createHash, type Hash } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { mapPool, UserError } from '@gantry/core'
import { hashWorktreeFile, type ObjectFormat } from './blob.js'
import { runProc, SpawnError } from './proc.js'

export interface InputFile {
  /** Relative to the listed directory, '/'-separated. */
  path: string
  mode: string
  id: string
}

export interface FileListing {
  /** Parsed on first use: a clean checkout's key may never need it. */
  readonly files: InputFile[]
  /** The files as `fileText` would write them, when git's output is exactly that (decoded on first use). */
  readonly raw?: string
  /**
   * git's output as it came (the UTF-8 bytes of `raw`), when there is one: the
   * whole-tree key hashes these bytes directly, no 4 MB string is decoded or
   * re-encoded for it.
   */
  readonly bytes?: Buffer
  readonly count: number
  source: 'git' | 'walk'
  format: ObjectFormat
  /** sha256 of `prefix` + `bytes`, computed while git wrote them (see ListOptions.digestPrefix). */
  readonly digest?: { prefix: string; sha256: string }
  /** Files whose content was read and hashed here (modified, untracked, or all of them outside git). */
  hashed: number
  untracked: number
  modified: number
}

const HASH_CONCURRENCY = 16

export interface ListOptions {
  /**
   * When given, git's output is hashed (sha256) after this prefix while git
   * writes it; a clean checkout's listing then carries the digest, so the key
   * needs no pass over the bytes once git has finished.
   */
  digestPrefix?: Promise<string>
}

export async function listInputFiles(root: string, options: ListOptions = {}): Promise<FileListing> {
  const git = await gitListing(root, options)
  return git ?? walkListing(root)
}

/** git's order: UTF-8 bytes, which is code-point order (JS `<` compares UTF-16 units). */
export function comparePaths(a: string, b: string): number {
  if (a === b) return 0
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    if (x < 0xd800 && y < 0xd800) return x - y
    return (a.codePointAt(i) as number) - (b.codePointAt(i) as number)
  }
  return a.length - b.length
}

/** The canonical text of a file list: git's `ls-files -s -z` format, one NUL-terminated record each. */
export function fileRecord(f: InputFile): string {
  return `${f.mode} ${f.id} 0\t${f.path}\0`
}

export function fileText(files: readonly InputFile[]): string {
  const parts = new Array<string>(files.length)
  for (let i = 0; i < files.length; i++) parts[i] = fileRecord(files[i])
  return parts.join('')
}

export function parseFileText(text: string): InputFile[] {
  const files: InputFile[] = []
  let start = 0
  while (start < text.length) {
    let end = text.indexOf('\0', start)
    if (end < 0) end = text.length
    // "<mode> <id> <stage>\t<path>"
    const tab = text.indexOf('\t', start)
    if (tab > start && tab < end) {
      files.push({
        path: text.slice(tab + 1, end),
        mode: text.slice(start, start + 6),
        id: text.slice(start + 7, tab - 2)
      })
    }
    start = end + 1
  }
  return files
}

/** The first record of git's -z bytes starting at or after a position; raw.length when none. */
function recordAt(raw: Buffer, pos: number): number {
  return pos === 0 ? 0 : raw.indexOf(0, pos - 1) + 1 || raw.length
}

/**
 * Offset of the first record (in git's sorted bytes) whose path is not below
 * `target` in git's order, which is byte order: a binary search, no decoding.
 */
export function lowerBound(raw: Buffer, target: string): number {
  const t = Buffer.from(target, 'utf8')
  let lo = 0
  let hi = raw.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const path = pathBytesAt(raw, recordAt(raw, mid))
    if (path === undefined || Buffer.compare(path, t) >= 0) hi = mid
    else lo = mid + 1
  }
  return recordAt(raw, lo)
}

/** The path (bytes) of the record starting at offset rec, or undefined past the end. */
function pathBytesAt(raw: Buffer, rec: number): Buffer | undefined {
  if (rec >= raw.length) return undefined
  const end = raw.indexOf(0, rec)
  return raw.subarray(raw.indexOf(9, rec) + 1, end < 0 ? raw.length : end)
}

/** The path of the record starting at offset rec, or undefined past the end. */
export function pathAt(raw: Buffer, rec: number): string | undefined {
  return pathBytesAt(raw, rec)?.toString('utf8')
}

/** Whether git's sorted bytes hold the path `p` or a path below it (binary search, no scan). */
export function hasPathAtOrBelow(raw: Buffer, p: string): boolean {
  const exact = Buffer.from(p, 'utf8')
  if (pathBytesAt(raw, lowerBound(raw, p))?.equals(exact)) return true
  const below = Buffer.from(`${p}/`, 'utf8')
  const next = pathBytesAt(raw, lowerBound(raw, `${p}/`))
  return next !== undefined && next.length > below.length && next.subarray(0, below.length).equals(below)
}

/**
 * Number of NUL-terminated records in git's -z output, as bytes or as the text
 * decoded from them: a string's indexOf is faster than a Buffer's per call (see
 * bench/NOTES.md), so a caller that has decoded the text anyway counts on the text.
 */
export function countRecords(data: Buffer | string): number {
  let n = 0
  if (typeof data === 'string') for (let i = data.indexOf('\0'); i >= 0; i = data.indexOf('\0', i + 1)) n++
  else for (let i = data.indexOf(0); i >= 0; i = data.indexOf(0, i + 1)) n++
  return n
}

/** git's stdout as bytes; undefined when git is missing or the directory is not in a checkout. */
async function git(root: string, args: string[], onData?: (chunk: Buffer) => void): Promise<Buffer | undefined> {
  let r
  try {
    r = await runProc('git', args, root, undefined, onData)
  } catch (e) {
    if (e instanceof SpawnError && e.code === 'ENOENT') return undefined // no git on PATH
    throw e
  }
  if (r.code !== 0) {
    if (/not a git repository/i.test(r.stderr)) return undefined
    // e.g. "detected dubious ownership": say so in one line rather than key something else.
    throw new UserError(`git ${args[0]} failed in ${root}: ${r.stderr.trim().split('\n')[0]}`)
  }
  return r.stdout
}

/** The lazy listing: count, raw and files are worked out on first read. Reference: referenceListing (files-reference.ts). */
export function listing(
  source: 'git' | 'walk',
  format: ObjectFormat,
  counts: { hashed: number; untracked: number; modified: number },
  data: { bytes: Buffer; digest?: FileListing['digest'] } | { files: InputFile[] }
): FileListing {
  let files = 'files' in data ? data.files : undefined
  const bytes = 'bytes' in data ? data.bytes : undefined
  const digest = 'bytes' in data ? data.digest : undefined
  let raw: string | undefined
  let count: number | undefined
  const text = () => (raw ??= (bytes as Buffer).toString('utf8'))
  return {
    source,
    format,
    ...counts,
    bytes,
    digest,
    // Counted when first read (for the report): the key does not need it.
    get count() {
      count ??= files ? files.length : countRecords(bytes as Buffer)
      return count
    },
    get raw() {
      return bytes ? text() : undefined
    },
    get files() {
      files ??= parseFileText(text())
      return files
    }
  }
}

/** An index record of `ls-files -s`: "<mode> <id> <stage>\t" (sha1 or sha256 ids). */
const STAGE_RECORD = /^[0-7]{6} (?:[0-9a-f]{40}|[0-9a-f]{64}) [0-3]\t/

/**
 * Splits `git ls-files -z -s -o` output: git prints the untracked paths first,
 * then the index records, which stay one slice of bytes (the canonical text).
 * A record is an index record when it looks like one. An untracked path can
 * only look like one when its first component holds a tab: the caller rules
 * that out. Undefined when the output is not in that order (the last record
 * is not an index record): then the caller lists the two apart.
 */
export function splitOthers(bytes: Buffer): { others: string[]; index: Buffer } | undefined {
  const others: string[] = []
  let at = 0
  while (at < bytes.length) {
    let end = bytes.indexOf(0, at)
    if (end < 0) end = bytes.length
    if (STAGE_RECORD.test(bytes.toString('latin1', at, Math.min(end, at + 80)))) break
    others.push(bytes.toString('utf8', at, end))
    at = end + 1
  }
  if (at < bytes.length) {
    const last = bytes.lastIndexOf(0, bytes.length - 2) + 1
    if (!STAGE_RECORD.test(bytes.toString('latin1', last, Math.min(bytes.length, last + 80)))) return undefined
  }
  return { others, index: bytes.subarray(at) }
}

/**
 * The index records and the untracked paths no ignore rule covers: one git run
 * (one index read, one process fewer), or two when the output could mislead.
 */
async function indexAndOthers(
  root: string,
  onData?: (chunk: Buffer) => void
): Promise<{ index: Buffer; others: string[]; streamed: boolean } | undefined> {
  const [both, names] = await Promise.all([
    git(root, ['ls-files', '-z', '-s', '-o', '--exclude-standard'], onData),
    readdir(root).catch(() => [] as string[])
  ])
  if (both === undefined) return undefined
  // A tab in a name in the directory itself is the one way an untracked path can pass for an
  // index record ("100644 <id> 0\t<x>").
  const split = names.some((n) => n.includes('\t')) ? undefined : splitOthers(both)
  // streamed: the index records are exactly the bytes onData saw.
  if (split) return { ...split, streamed: split.others.length === 0 }
  const [index, others] = await Promise.all([
    git(root, ['ls-files', '-z', '-s']),
    git(root, ['ls-files', '-z', '-o', '--exclude-standard'])
  ])
  if (index === undefined || others === undefined) return undefined
  return {
    index,
    streamed: false,
    others: others
      .toString('utf8')
      .split('\0')
      .filter((p) => p !== '')
  }
}

/** sha256 over a prefix and the chunks after it; chunks that come before the prefix is known wait. */
function streamDigest(prefix: Promise<string> | undefined) {
  let hash: Hash | undefined
  let known: string | undefined
  const early: Buffer[] = []
  const ready = prefix?.then(
    (p) => {
      known = p
      hash = createHash('sha256').update(p)
      for (const c of early.splice(0)) hash.update(c)
    },
    () => undefined // no prefix, no digest: the key hashes the bytes itself
  )
  return {
    onData: prefix ? (d: Buffer) => (hash ? hash.update(d) : early.push(d)) : undefined,
    async result(): Promise<FileListing['digest']> {
      await ready
      return hash && known !== undefined ? { prefix: known, sha256: hash.digest('hex') } : undefined
    }
  }
}

async function gitListing(root: string, options: ListOptions): Promise<FileListing | undefined> {
  // Two runs in parallel, so git's stat of the work tree overlaps the rest: the
  // tracked files that differ from the index (diff-files: one stat per file,
  // spread over threads), and the index's blob ids (no stat) with the untracked
  // files no ignore rule covers (one ls-files run: one index read and one
  // process fewer than two runs; bench/NOTES.md has the measurement). Not
  // `git status`: it walks for untracked files only after its stat pass, prints
  // paths from the top of the repository, and compares HEAD with the index too.
  // The bytes are hashed as git writes them (the main thread is idle meanwhile), not after it exits.
  const digest = streamDigest(options.digestPrefix)
  // ls-files starts first: its one thread is the longer path, and a spawn blocks this thread (a fork
  // of the whole node process), so the second run starts that much later (bench/NOTES.md).
  const listedRun = indexAndOthers(root, digest.onData)
  const changedRun = git(root, ['diff-files', '-z', '--name-status', '--relative', '--ignore-submodules=all'])
  const [listed, changedBytes] = await Promise.all([listedRun, changedRun])
  if (listed === undefined || changedBytes === undefined) return undefined
  const { index: bytes, others } = listed
  // "<mode> <id> ": the id's length tells the repository's hash (latin1: one byte, one char, no decoding).
  const format: ObjectFormat = /^\d{6} [0-9a-f]{64} /.test(bytes.toString('latin1', 0, 72)) ? 'sha256' : 'sha1'
  // A clean checkout (diff-files would list an unmerged path too): git's output is the canonical text as it is.
  if (changedBytes.length === 0 && others.length === 0) {
    const sha = listed.streamed ? await digest.result() : undefined
    return listing('git', format, { hashed: 0, untracked: 0, modified: 0 }, { bytes, digest: sha })
  }
  const changed = changedBytes.toString('utf8')
  const files = parseFileText(bytes.toString('utf8'))
  const submodules = new Set(files.filter((f) => f.mode === '160000').map((f) => f.path))
  const deleted = new Set<string>()
  const rehash = new Set<string>()
  // "<status>\0<path>\0" pairs: D deleted, M modified, T type changed, U unmerged (its stages
  // fold into one entry below, hashed from the work tree).
  const parts = changed.split('\0')
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const path = parts[i + 1]
    if (parts[i] === 'D') deleted.add(path)
    // A changed submodule keeps its recorded commit: its own files are not ours to hash.
    else if (!submodules.has(path)) rehash.add(path)
  }
  for (const p of others) rehash.add(p)
  const untracked = others.length
  const paths = [...rehash].filter((p) => !deleted.has(p))
  const hashed = await mapPool(paths, HASH_CONCURRENCY, (p) => hashWorktreeFile(join(root, p), format))
  const merged = new Map(files.filter((f) => !deleted.has(f.path)).map((f) => [f.path, f]))
  paths.forEach((p, i) => {
    const h = hashed[i]
    if (h) merged.set(p, { path: p, ...h })
    else merged.delete(p)
  })
  const out = [...merged.values()].sort((a, b) => comparePaths(a.path, b.path))
  return listing('git', format, { hashed: paths.length, untracked, modified: paths.length - untracked }, { files: out })
}

const SKIP_DIRS = new Set(['.git', 'node_modules'])

async function walkListing(root: string): Promise<FileListing> {
  const paths: string[] = []
  async function walk(rel: string): Promise<void> {
    const entries = await readdir(rel ? join(root, rel) : root, { withFileTypes: true })
    for (const e of entries) {
      const p = rel ? `${rel}/${e.name}` : e.name
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) await walk(p)
      } else if (e.isFile() || e.isSymbolicLink()) paths.push(p)
    }
  }
  await walk('')
  paths.sort(comparePaths)
  const hashed = await mapPool(paths, HASH_CONCURRENCY, (p) => hashWorktreeFile(join(root, p), 'sha1'))
  const files: InputFile[] = []
  paths.forEach((p, i) => {
    const h = hashed[i]
    if (h) files.push({ path: p, ...h })
  })
  return listing('walk', 'sha1', { hashed: files.length, untracked: 0, modified: 0 }, { files })
}
