/** What a metric-source kind is given and makes (apart from the registry, so each kind's module can take it without a cycle). */
import type { FieldShape, Kind } from '@gantry/core'
import type { HttpClient } from '@gantry/probe'
import type { RouterHost, Server } from '@gantry/traffic'
import type { MetricSource } from '../source.js'

/** The canary inputs every source kind reads besides its own. */
export interface SourceCommon {
  /** ms of each judged window (a bake, or an extension of it). */
  bake: number
  'min-samples': number
  'max-extensions': number
  /** Bound of one request or query. */
  timeout: number
  /** The router's servers and the two variants among them (a log source tells them apart by address). */
  servers: Server[]
  'baseline-server': string
  'canary-server': string
}

export interface SourceContext {
  client: HttpClient
  /** The router host (traffic's session): where a log source reads its file. */
  host?: RouterHost
}

export type SourceKindOf<S extends FieldShape> = Kind<S, SourceCommon, SourceContext, MetricSource>
