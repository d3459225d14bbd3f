/**
 * main's second half: per unit, fetch the entry saved under its key and
 * restore it (manifest-checked when `verify`); on a miss, find the newest
 * earlier entry of the same unit and say which inputs changed since.
 */
import { errorMessage, mapPool } from '@gantry/core'
import type { CacheBackend } from './backends/backend.js'
import { CorruptEntry, restoreEntry } from './entry.js'
import { describeDiff, diffIndex, keyBase, type KeyedUnit } from './keys.js'

export type UnitStatus = 'hit' | 'miss' | 'corrupt'

export interface UnitResult {
  dir: string
  name?: string
  key: string
  base: string
  hash: string
  files: number
  deps: string[]
  status: UnitStatus
  /** For a hit: the entry's files restored; for a miss: why (which inputs changed). */
  reason: string
  restoredFiles: number
  previousKey?: string
  ms: number
}

export interface RestoreOptions {
  root: string
  prefix: string
  os: string
  arch: string
  verify: boolean
  concurrency?: number
  warn: (message: string) => void
}

export async function restoreUnits(
  units: readonly KeyedUnit[],
  backend: CacheBackend,
  o: RestoreOptions
): Promise<UnitResult[]> {
  const down = await backend.unavailable?.()
  if (down) o.warn(`build-cache: ${down}`)
  return mapPool(units, o.concurrency ?? 4, async (u) => {
    const t0 = Date.now()
    const base = keyBase(o, u.dir)
    const out: UnitResult = {
      dir: u.dir,
      name: u.name,
      key: u.key,
      base,
      hash: u.hash,
      files: u.files,
      deps: u.deps,
      status: 'miss',
      reason: '',
      restoredFiles: 0,
      ms: 0
    }
    let entryDir: string | undefined
    if (down) {
      out.reason = `not looked up: ${down}`
      return out
    }
    try {
      entryDir = await backend.fetch(u.key, u.dir)
    } catch (e) {
      o.warn(`build-cache: could not look up ${u.key} (${errorMessage(e)}); treating ${label(u.dir)} as a miss`)
      out.reason = `cache lookup failed: ${errorMessage(e)}`
    }
    if (entryDir) {
      try {
        const meta = await restoreEntry(entryDir, o.root, o.verify)
        out.status = 'hit'
        out.restoredFiles = meta.files.length
        out.reason = `restored ${meta.files.length} file(s) saved ${meta.createdAt}`
      } catch (e) {
        if (e instanceof CorruptEntry) {
          out.status = 'corrupt'
          out.reason = `the entry is corrupted (${e.message}): rebuilding`
          o.warn(`build-cache: entry ${u.key} for ${label(u.dir)} is corrupted (${e.message}); treating it as a miss`)
          await backend.discard?.(u.key).catch(() => undefined)
        } else {
          out.reason = `restore failed: ${errorMessage(e)}`
          o.warn(
            `build-cache: could not restore ${u.key} for ${label(u.dir)} (${errorMessage(e)}); treating it as a miss`
          )
        }
      }
    } else if (!out.reason) {
      try {
        const prev = await backend.previous(base, u.dir)
        out.previousKey = prev?.key
        out.reason = prev
          ? describeDiff(diffIndex(prev.index, u.index), prev.index, u.index)
          : 'no earlier entry for this ' + (u.dir === '.' ? 'tree' : 'component')
      } catch (e) {
        out.reason = `no entry for this key (could not read the previous one: ${errorMessage(e)})`
      }
    }
    out.ms = Date.now() - t0
    return out
  })
}

export function label(dir: string): string {
  return dir === '.' ? 'the tree' : dir
}
