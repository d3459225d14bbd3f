/**
 * The local backend: one directory per key under `local-dir` (self-hosted
 * runners, the demo). An entry is staged beside the store and renamed into
 * place, so a reader never sees half an entry and a crash leaves only a
 * staging directory that the next save clears.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { readEntryMeta, type EntryMeta } from '../entry.js'
import type { CacheBackend, PreviousEntry, SaveResult } from './backend.js'

const STAGING = '.staging'
const HASH_TAIL = /^[0-9a-f]{64}$/

export class LocalBackend implements CacheBackend {
  readonly name = 'local' as const

  constructor(readonly dir: string) {}

  async fetch(key: string): Promise<string | undefined> {
    const d = join(this.dir, key)
    try {
      return (await stat(d)).isDirectory() ? d : undefined
    } catch {
      return undefined
    }
  }

  async previous(base: string): Promise<PreviousEntry | undefined> {
    let names: string[]
    try {
      names = await readdir(this.dir)
    } catch {
      return undefined
    }
    // Same unit only: the rest of the name must be exactly a hash (not another component's slug).
    const candidates = names.filter((n) => n.startsWith(base) && HASH_TAIL.test(n.slice(base.length)))
    const dated = await Promise.all(
      candidates.map(async (n) => ({ n, t: (await stat(join(this.dir, n)).catch(() => undefined))?.mtimeMs ?? 0 }))
    )
    dated.sort((a, b) => b.t - a.t)
    for (const { n } of dated) {
      try {
        const meta = await readEntryMeta(join(this.dir, n))
        return { key: meta.key, index: meta.index }
      } catch {
        // a corrupted older entry explains nothing; try the next
      }
    }
    return undefined
  }

  async discard(key: string): Promise<void> {
    // Renamed aside first: readers stop seeing it at once, the removal can take its time.
    const aside = join(this.dir, STAGING, `corrupt-${randomBytes(4).toString('hex')}`)
    await mkdir(join(this.dir, STAGING), { recursive: true })
    await rename(join(this.dir, key), aside).catch(() => undefined)
    await rm(aside, { recursive: true, force: true })
  }

  async stagingDir(): Promise<string> {
    const d = join(this.dir, STAGING, `${process.pid}-${randomBytes(4).toString('hex')}`)
    await mkdir(d, { recursive: true })
    return d
  }

  async save(key: string, _base: string, staged: string, _meta: EntryMeta): Promise<SaveResult> {
    const final = join(this.dir, key)
    if (await this.fetch(key)) {
      await rm(staged, { recursive: true, force: true })
      return { status: 'exists', message: `an entry for ${key} already exists; it was kept` }
    }
    try {
      await rename(staged, final)
      return { status: 'saved' }
    } catch (e) {
      await rm(staged, { recursive: true, force: true })
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'ENOTEMPTY' || code === 'EEXIST') {
        return { status: 'exists', message: `another job saved ${key} first; its entry was kept` }
      }
      return { status: 'failed', message: `could not save ${key}: ${(e as Error).message}` }
    }
  }
}
