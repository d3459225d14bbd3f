/** What a cache backend kind is given and makes (apart from the registry, so each module can take it without a cycle). */
import type { FieldShape, Kind } from '@gantry/core'
import type { CacheBackend } from './backend.js'

export interface BackendContext {
  /** Relative paths in the backend's inputs resolve against this (the step's working directory). */
  cwd: string
}

export type BackendKindOf<S extends FieldShape> = Kind<S, Record<never, never>, BackendContext, CacheBackend>
