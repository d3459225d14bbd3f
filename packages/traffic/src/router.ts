/** What a router kind is given and makes (apart from the registry, so each kind's module can take it without a cycle). */
import type { FieldShape, Kind } from '@gantry/core'
import type { Weights } from '@gantry/release'
import type { RouterHost } from './host.js'
import type { Server } from './weights.js'

/** The traffic inputs every router kind reads besides its own. */
export interface RouterCommon {
  upstream: string
  servers: Server[]
  /** Given: the router runs there, so the kind cannot look at its files from the runner. */
  'router-host'?: string
}

export interface RouterContext {
  host: RouterHost
  /** Bound of one router call (a command, a socket exchange). */
  timeoutMs: number
  /** How long apply() waits for drained servers' connections to end. */
  drainTimeoutMs: number
  log: (line: string) => void
  warn: (line: string) => void
  /** Progress of a wait (drain): one line per server on change and every 10 s. */
  progress: (key: string, state: string, detail: string) => void
}

export interface Router {
  /** Checks on the router host that need no change (a directory, a socket): before anything is written. */
  preflight(): Promise<void>
  /** The router's weights now, in percent per server of `servers`; undefined when it has none yet. */
  read(): Promise<Weights | undefined>
  /** Puts `weights` (every server of `servers`, summing to 100) in place; `drain` servers (at 0%) finish their connections. */
  apply(weights: Weights, drain: readonly string[]): Promise<void>
  /**
   * The router's state as it holds it (read() rounds it to percent: six servers
   * of weight 1 read 17,17,17,17,16,16), to be put back exactly; undefined when
   * it holds none yet. A kind without it (command) is put back with apply().
   */
  save?(): Promise<RouterSaved | undefined>
}

/** What save() read. */
export interface RouterSaved {
  /** The names of `servers` the router holds (nginx: a line in the block; HAProxy: a server of the backend). */
  held: string[]
  /** Percent per server of `servers` this state gives, `leaveOut` at 0% and the others keeping their ratios. */
  weights(leaveOut?: readonly string[]): Weights
  /** Puts the state back as it was read, `leaveOut` at 0% (drained). */
  restore(leaveOut?: readonly string[]): Promise<void>
}

export type RouterKindOf<S extends FieldShape> = Kind<S, RouterCommon, RouterContext, Router>
