/** What a target kind is given and makes (apart from the registry, so each kind's module can take it without a cycle). */
import type { FieldShape, Kind } from '@gantry/core'
import type { Target } from './target.js'

/** The inputs every target kind reads besides its own. */
export interface TargetCommon {
  /** The deploy root: a directory on this machine (local) or on every host (ssh). */
  path: string
}

export interface TargetContext {
  log: (line: string) => void
  warn?: (message: string) => void
}

/** A target kind: its own inputs, its checks, and the targets (one per host) it makes. */
export type TargetKindOf<S extends FieldShape> = Kind<S, TargetCommon, TargetContext, Target[]>
