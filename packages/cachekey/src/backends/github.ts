/**
 * The github backend: the Actions cache service through @actions/cache.
 * Entries are staged under RUNNER_TEMP at a path fixed per unit (the service
 * versions entries by their paths). A small second entry holds only the input
 * index, so explaining a miss downloads kilobytes, not the stale outputs.
 * @actions/cache is loaded on first use: the local backend never pays for it.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { EntryMeta } from '../entry.js'
import { keySlug } from '../keys.js'
import { INDEX_FILE, type CacheBackend, type PreviousEntry, type SaveResult } from './backend.js'

type CacheModule = typeof import('@actions/cache')

export class GithubBackend implements CacheBackend {
  readonly name = 'github' as const
  private mod?: Promise<CacheModule>

  constructor(
    private readonly root = join(process.env.RUNNER_TEMP || tmpdir(), 'gantry-build-cache'),
    private readonly load: () => Promise<CacheModule> = () => import('@actions/cache')
  ) {}

  private cache(): Promise<CacheModule> {
    this.mod ??= this.load()
    return this.mod
  }

  async unavailable(): Promise<string | undefined> {
    const cache = await this.cache()
    if (cache.isFeatureAvailable()) return undefined
    return (
      'the GitHub Actions cache service is not available to this step (neither ACTIONS_CACHE_URL nor ' +
      'ACTIONS_RESULTS_URL is set): nothing is restored or saved; on such runners use backend: local'
    )
  }

  private entryDir(unit: string): string {
    return join(this.root, 'entry', keySlug(unit))
  }

  private indexDir(unit: string): string {
    return join(this.root, 'index', keySlug(unit))
  }

  static indexKey(base: string, key: string): string {
    return `${base}index-${key.slice(base.length)}`
  }

  async fetch(key: string, unit: string): Promise<string | undefined> {
    const dir = this.entryDir(unit)
    await rm(dir, { recursive: true, force: true })
    await mkdir(dir, { recursive: true })
    const cache = await this.cache()
    const hit = await cache.restoreCache([dir], key)
    // The service also matches the primary key as a prefix; only the exact key is a hit.
    return hit === key ? dir : undefined
  }

  async previous(base: string, unit: string): Promise<PreviousEntry | undefined> {
    const dir = this.indexDir(unit)
    await rm(dir, { recursive: true, force: true })
    await mkdir(dir, { recursive: true })
    const cache = await this.cache()
    const hit = await cache.restoreCache([dir], `${base}index-`, [`${base}index-`])
    if (!hit) return undefined
    try {
      const v = JSON.parse(await readFile(join(dir, INDEX_FILE), 'utf8')) as PreviousEntry
      return v && typeof v.index === 'string' && typeof v.key === 'string' && v.key.startsWith(base) ? v : undefined
    } catch {
      return undefined
    }
  }

  async stagingDir(unit: string): Promise<string> {
    const dir = this.entryDir(unit)
    await rm(dir, { recursive: true, force: true })
    await mkdir(dir, { recursive: true })
    return dir
  }

  async save(key: string, base: string, staged: string, meta: EntryMeta): Promise<SaveResult> {
    const cache = await this.cache()
    let id: number
    try {
      id = await cache.saveCache([staged], key)
    } catch (e) {
      return classify(key, e, cache)
    }
    // saveCache logs and returns -1 when the key is taken (reserve conflict) or the token is read-only.
    if (id === -1) {
      return {
        status: 'exists',
        message: `the cache service did not take ${key}: an entry with that key already exists or another job is saving it`
      }
    }
    const idx = this.indexDir(meta.dir)
    try {
      await rm(idx, { recursive: true, force: true })
      await mkdir(idx, { recursive: true })
      await writeFile(join(idx, INDEX_FILE), JSON.stringify({ key, index: meta.index }))
      await cache.saveCache([idx], GithubBackend.indexKey(base, key))
    } catch {
      // The index only explains future misses; the entry itself is saved.
    }
    return { status: 'saved' }
  }
}

function classify(key: string, e: unknown, cache: CacheModule): SaveResult {
  const msg = e instanceof Error ? e.message : String(e)
  if (e instanceof cache.ReserveCacheError || /already exists|another job may be creating/i.test(msg)) {
    return { status: 'exists', message: `${key} already exists in the cache service (another job saved it): ${msg}` }
  }
  return { status: 'failed', message: `could not save ${key}: ${msg}` }
}
