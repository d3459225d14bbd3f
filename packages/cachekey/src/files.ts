/**
 * The input files of a directory, each with a content id, in a stable order.
 *
 * In a git checkout one `git ls-files` run gives the index's blob ids (no file
 * is read) plus the names of files that are modified, deleted or untracked and
 * not ignored; only those few are hashed here. Outside git, a plain walk hashes
 * every file (skipping .git and node_modules).
 */
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { mapPool } from '@gantry/core'
import { hashWorktreeFile, type ObjectFormat } from './blob.js'
import { runProc, SpawnError } from './proc.js'

export interface InputFile {
  /** Relative to the listed directory, '/'-separated. */
  path: string
  mode: string
  id: string
}

export interface FileListing {
  files: InputFile[]
  source: 'git' | 'walk'
  format: ObjectFormat
  /** Files whose content was read and hashed here (modified, untracked, or all of them outside git). */
  hashed: number
  untracked: number
  modified: number
}

const HASH_CONCURRENCY = 16

export async function listInputFiles(root: string): Promise<FileListing> {
  const git = await gitListing(root)
  return git ?? walkListing(root)
}

/** Byte-wise-stable order independent of locale. */
export function byPath(a: { path: string }, b: { path: string }): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0
}

async function gitListing(root: string): Promise<FileListing | undefined> {
  let r
  try {
    // -t tags each entry: H cached, S skip-worktree, C modified, R deleted, M unmerged, ? untracked.
    r = await runProc('git', ['ls-files', '-z', '-t', '-s', '-c', '-o', '-m', '-d', '--exclude-standard'], root)
  } catch (e) {
    if (e instanceof SpawnError && e.code === 'ENOENT') return undefined // no git on PATH
    throw e
  }
  if (r.code !== 0) {
    if (/not a git repository/i.test(r.stderr)) return undefined
    throw new Error(`git ls-files failed in ${root}: ${r.stderr.trim().split('\n')[0]}`)
  }
  const index = new Map<string, { mode: string; id: string }>()
  const deleted = new Set<string>()
  const rehash = new Set<string>()
  let untracked = 0
  let format: ObjectFormat = 'sha1'
  const text = r.stdout.toString('utf8')
  let start = 0
  while (start < text.length) {
    let end = text.indexOf('\0', start)
    if (end < 0) end = text.length
    const rec = text.slice(start, end)
    start = end + 1
    if (rec.length < 3) continue
    const tag = rec[0]
    if (tag === '?') {
      rehash.add(rec.slice(2))
      untracked++
      continue
    }
    // "<tag> <mode> <id> <stage>\t<path>"
    const tab = rec.indexOf('\t')
    const path = rec.slice(tab + 1)
    const mode = rec.slice(2, 8)
    const id = rec.slice(9, rec.indexOf(' ', 9))
    if (tag === 'H' || tag === 'S') {
      index.set(path, { mode, id })
      if (id.length === 64) format = 'sha256'
    } else if (tag === 'R') deleted.add(path)
    else if (tag === 'C' || tag === 'M') {
      // A changed submodule keeps its recorded commit: its own files are not ours to hash.
      if (mode !== '160000') rehash.add(path)
      if (!index.has(path)) index.set(path, { mode, id })
    }
  }
  for (const p of deleted) {
    index.delete(p)
    rehash.delete(p)
  }
  const modified = rehash.size - untracked
  const paths = [...rehash]
  const hashed = await mapPool(paths, HASH_CONCURRENCY, (p) => hashWorktreeFile(join(root, p), format))
  paths.forEach((p, i) => {
    const h = hashed[i]
    if (h) index.set(p, h)
    else index.delete(p)
  })
  const files: InputFile[] = []
  for (const [path, v] of index) files.push({ path, mode: v.mode, id: v.id })
  // git sorts by bytes, we by UTF-16 units; they differ only for rare names, so check before sorting.
  if (!isSorted(files)) files.sort(byPath)
  return { files, source: 'git', format, hashed: paths.length, untracked, modified }
}

function isSorted(files: InputFile[]): boolean {
  for (let i = 1; i < files.length; i++) if (files[i - 1].path > files[i].path) return false
  return true
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
  paths.sort()
  const hashed = await mapPool(paths, HASH_CONCURRENCY, (p) => hashWorktreeFile(join(root, p), 'sha1'))
  const files: InputFile[] = []
  paths.forEach((p, i) => {
    const h = hashed[i]
    if (h) files.push({ path: p, ...h })
  })
  return { files, source: 'walk', format: 'sha1', hashed: files.length, untracked: 0, modified: 0 }
}
