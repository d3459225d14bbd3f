/**
 * The local target's stat caches of a release (.gantry/cache/<id>.json): for
 * each file of its manifest, [inode, size, mtimeMs] in the release
 * (Manifest.stat) and [inode, size, mtimeMs, ctimeMs] in the source it was
 * built from (Manifest.source.stat). Every deploy reads the previous release's
 * cache and writes its own, so the numbers are stored as one base64
 * Float64Array in the order of the manifest's file entries: exact doubles, and
 * much quicker to write and read than JSON arrays of fractional timestamps
 * (bench/NOTES.md). A sha256 of that path list ties the numbers
 * to their manifest: a cache that does not line up is no cache.
 */
import { createHash } from 'node:crypto'
import type { Manifest } from '../manifest.js'

export type StatCache = Pick<Manifest, 'stat' | 'source'>

/** Doubles per file: the release's 3, then the source's 4 (NaN where a file has none). */
const PER_FILE = 7

function filePaths(entries: Manifest['entries']): string[] {
  const paths: string[] = []
  for (const p in entries) if (entries[p].type === 'file') paths.push(p)
  return paths
}

const pathsHash = (paths: string[]): string => createHash('sha256').update(paths.join('\0')).digest('hex')

export function encodeStatCache(entries: Manifest['entries'], cache: StatCache): string {
  const paths = filePaths(entries)
  const nums = new Float64Array(paths.length * PER_FILE).fill(NaN)
  const src = cache.source?.stat
  for (let i = 0; i < paths.length; i++) {
    const r = cache.stat?.[paths[i]]
    const s = src?.[paths[i]]
    if (r) nums.set(r, i * PER_FILE)
    if (s) nums.set(s, i * PER_FILE + 3)
  }
  return JSON.stringify({
    version: 2,
    files: paths.length,
    paths: pathsHash(paths),
    root: cache.source?.root ?? null,
    builtAt: cache.source?.builtAt ?? null,
    stat: Buffer.from(nums.buffer).toString('base64')
  })
}

/** The caches stored by encodeStatCache for this manifest; undefined when they do not line up with it. */
export function decodeStatCache(text: string, entries: Manifest['entries']): StatCache | undefined {
  const c = JSON.parse(text) as {
    version?: number
    files?: number
    paths?: string
    root?: string | null
    builtAt?: number | null
    stat?: string
  } & StatCache
  // The first format: plain JSON records keyed by path.
  if (c.version === undefined) return { stat: c.stat, source: c.source }
  const paths = filePaths(entries)
  if (c.version !== 2 || c.files !== paths.length || typeof c.stat !== 'string' || c.paths !== pathsHash(paths))
    return undefined
  const bytes = Buffer.from(c.stat, 'base64')
  if (bytes.length !== paths.length * PER_FILE * 8) return undefined
  // Copy into an aligned buffer (a base64 decode may start at any offset).
  const nums = new Float64Array(paths.length * PER_FILE)
  new Uint8Array(nums.buffer).set(bytes)
  const stat: NonNullable<Manifest['stat']> = {}
  const source: NonNullable<Manifest['source']>['stat'] = {}
  for (let i = 0; i < paths.length; i++) {
    const k = i * PER_FILE
    if (!Number.isNaN(nums[k])) stat[paths[i]] = [nums[k], nums[k + 1], nums[k + 2]]
    if (!Number.isNaN(nums[k + 3])) source[paths[i]] = [nums[k + 3], nums[k + 4], nums[k + 5], nums[k + 6]]
  }
  return {
    stat,
    source:
      typeof c.root === 'string' && typeof c.builtAt === 'number'
        ? { root: c.root, builtAt: c.builtAt, stat: source }
        : undefined
  }
}
