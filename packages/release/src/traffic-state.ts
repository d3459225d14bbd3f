/**
 * `<path>/.gantry/traffic.json`: every change the `traffic` action (and the
 * strategies built on it) made to a router, with the weights before it, so
 * `weights: previous` can put the state before the last change back and
 * `slot: idle` can name the slot that has no traffic. Pure functions here; a
 * StateStore reads and writes the file (readState/writeState).
 */
import { TRAFFIC } from './layout.js'
import type { StateStore } from './target.js'

/** Percent per server or slot name (0–100, summing to 100 over the servers a router has). */
export type Weights = Record<string, number>

export interface TrafficChange {
  at: string
  /** The router kind (`nginx`, `haproxy`, `command`) and the upstream / backend it changed. */
  router: string
  upstream: string
  weights: Weights
  /** The weights just before this change (read back from the router when it could be). */
  previous: Weights
  /** Servers put in drain (no new requests) by this change. */
  drained?: string[]
  /** Why: `blue-green`, `weights: previous`, `rollback`, a canary step, or the user's own words. */
  reason?: string
  actor?: string
  run?: string
  /** The release a slot served when this change was made (blue-green), for the delivery record. */
  release?: string
}

export interface TrafficHistory {
  version: 1
  changes: TrafficChange[]
}

/** Changes kept in the file (the oldest are dropped), as history.json keeps its events. */
export const MAX_CHANGES = 500

export class TrafficStateError extends Error {}

export function emptyTraffic(): TrafficHistory {
  return { version: 1, changes: [] }
}

function isWeights(v: unknown): v is Weights {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= 100)
  )
}

/** Parses traffic.json; a file Gantry cannot use is an error a person fixes, never guessed around. */
export function parseTraffic(text: string, where = TRAFFIC): TrafficHistory {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (e) {
    throw new TrafficStateError(`${where} is not JSON (${(e as Error).message}); fix or remove it`)
  }
  const h = raw as Partial<TrafficHistory>
  if (typeof h !== 'object' || h === null || h.version !== 1 || !Array.isArray(h.changes))
    throw new TrafficStateError(`${where} is not a Gantry traffic history (expected {"version":1,"changes":[…]})`)
  for (const [n, c] of h.changes.entries()) {
    if (typeof c?.at !== 'string' || !isWeights(c.weights) || !isWeights(c.previous))
      throw new TrafficStateError(`${where}: change ${n + 1} lacks 'at', 'weights' or 'previous' (weights 0-100)`)
  }
  return h as TrafficHistory
}

export async function readTraffic(store: StateStore): Promise<TrafficHistory> {
  const text = await store.readState(TRAFFIC)
  return text === undefined ? emptyTraffic() : parseTraffic(text, `${store.name}: .gantry/${TRAFFIC}`)
}

/** Appends a change, dropping the oldest beyond MAX_CHANGES. */
export function withChange(h: TrafficHistory, change: TrafficChange): TrafficHistory {
  const changes = [...h.changes, change]
  return { version: 1, changes: changes.slice(Math.max(0, changes.length - MAX_CHANGES)) }
}

export async function recordTraffic(store: StateStore, change: TrafficChange): Promise<TrafficHistory> {
  const h = withChange(await readTraffic(store), change)
  await store.writeState(TRAFFIC, JSON.stringify(h, null, 2) + '\n')
  return h
}

/** `blue=90,green=10`, or `none`: how weights read in messages, summaries and logs. */
export function formatWeights(w: Weights | undefined): string {
  if (!w || Object.keys(w).length === 0) return 'none'
  return Object.entries(w)
    .map(([k, n]) => `${k}=${n}`)
    .join(',')
}

/** The weights after the most recent change; undefined when nothing was recorded. */
export function currentWeights(h: TrafficHistory): Weights | undefined {
  return h.changes.at(-1)?.weights
}

/**
 * What `weights: previous` applies: the state before the most recent change.
 * Applying it is itself recorded as a change, so applying it twice toggles back.
 */
export function previousWeights(h: TrafficHistory): Weights | undefined {
  return h.changes.at(-1)?.previous
}

/**
 * The slot with 0% of the traffic (`slot: idle`): exactly one of the names the
 * last change weighed. None or several is an error naming what the file says.
 */
export function idleSlot(h: TrafficHistory): string {
  const w = currentWeights(h)
  if (!w)
    throw new TrafficStateError(
      `no traffic has been recorded yet, so no slot is idle; name the slot (slot: blue) for the first deploy, or run traffic first`
    )
  const idle = Object.keys(w).filter((k) => w[k] === 0)
  const shown = Object.keys(w).length ? formatWeights(w) : ''
  if (idle.length !== 1)
    throw new TrafficStateError(
      `slot: idle needs exactly one slot at 0% of the traffic, but the last traffic change has ${shown || 'no servers'}; name the slot instead`
    )
  return idle[0]
}
