/**
 * The post step: for every unit that missed, collect its outputs, stage an
 * entry (files + sha256 manifest + input index) and save it under the key main
 * computed — the inputs the build started from.
 */
import { errorMessage, mapPool } from '@gantry/core'
import type { CacheBackend, SaveStatus } from './backends/backend.js'
import { collectOutputs, stageEntry } from './entry.js'
import type { InputIndex } from './keys.js'
import { label } from './restore.js'

export interface PlannedUnit {
  dir: string
  key: string
  base: string
  hit: boolean
  outputs: string[]
  index: InputIndex
}

export interface SaveOutcome {
  dir: string
  key: string
  status: SaveStatus | 'skipped'
  files: number
  bytes: number
  message: string
}

export async function saveUnits(
  units: readonly PlannedUnit[],
  backend: CacheBackend,
  root: string,
  warn: (message: string) => void,
  concurrency = 2
): Promise<SaveOutcome[]> {
  const todo = units.filter((u) => !u.hit)
  const down = todo.length ? await backend.unavailable?.() : undefined
  if (down) warn(`build-cache: ${down}`)
  return mapPool(todo, concurrency, async (u): Promise<SaveOutcome> => {
    const base = { dir: u.dir, key: u.key, files: 0, bytes: 0 }
    if (down) return { ...base, status: 'failed', message: down }
    try {
      const outputs = await collectOutputs(root, u.outputs)
      if (outputs.length === 0) {
        const message = `no file matches path (${u.outputs.join(', ')}) for ${label(u.dir)}: nothing to save`
        warn(`build-cache: ${message}`)
        return { ...base, status: 'skipped', message }
      }
      const staged = await backend.stagingDir(u.dir)
      const meta = await stageEntry(root, outputs, staged, { key: u.key, dir: u.dir, index: u.index })
      const bytes = meta.files.reduce((n, f) => n + f.size, 0)
      const r = await backend.save(u.key, u.base, staged, meta)
      if (r.status !== 'saved') warn(`build-cache: ${r.message}`)
      return { ...base, files: meta.files.length, bytes, status: r.status, message: r.message ?? 'saved' }
    } catch (e) {
      const message = `could not save ${label(u.dir)}: ${errorMessage(e)}`
      warn(`build-cache: ${message}`)
      return { ...base, status: 'failed', message }
    }
  })
}
