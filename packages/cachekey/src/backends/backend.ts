/** What main and post need from a cache store; each kind in registry.ts makes one. */
import type { EntryMeta } from '../entry.js'
import type { InputIndex } from '../keys.js'

export type SaveStatus = 'saved' | 'exists' | 'failed'

export interface SaveResult {
  status: SaveStatus
  /** Why it was not saved (a warning for the summary). */
  message?: string
}

export interface PreviousEntry {
  key: string
  index: InputIndex
}

export interface CacheBackend {
  /** The kind's name, as the `backend` input says it. */
  readonly name: string
  /** Why the store cannot be used from this step (checked once, before any lookup), or undefined. */
  unavailable?(): Promise<string | undefined>
  /** Fetches the entry saved under exactly `key`; returns its directory, or undefined on a miss. */
  fetch(key: string, unit: string): Promise<string | undefined>
  /** The newest entry saved under a key that starts with `base` (the same unit): explains a miss. */
  previous(base: string, unit: string): Promise<PreviousEntry | undefined>
  /** Removes a corrupted entry where the store allows it, so the post step can save a good one. */
  discard?(key: string): Promise<void>
  /** A fresh directory to stage an entry in before save. */
  stagingDir(unit: string): Promise<string>
  /** Saves a staged entry; a conflict with an existing entry is 'exists', never an exception. */
  save(key: string, base: string, staged: string, meta: EntryMeta): Promise<SaveResult>
}

export const INDEX_FILE = 'gantry-index.json'
