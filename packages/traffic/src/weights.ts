/**
 * The `servers`, `weights` and `drain` inputs: names and addresses, percent
 * per name (summing to 100), and the names to drain. Pure parsing; the checks
 * against each other (a weight or a drain for a server not in `servers`) are
 * in resolveWeights, which also runs on `weights: previous` once the history
 * is read.
 */
import { InputError } from '@gantry/core'
import type { Weights } from '@gantry/release'

export interface Server {
  name: string
  /** nginx: `host:port` or `unix:/path`; HAProxy: the server's name in the backend; command: passed on. */
  address: string
}

/** A server or slot name: what `weights` and `drain` say, and what history records. */
export const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/
const NAME_FORM = "names of letters, digits, '_', '.' or '-'"

export const SERVERS_FORM = "'name=address' lines such as blue=127.0.0.1:3001"
export const WEIGHTS_FORM =
  "percentages per server summing to 100 such as green=10,blue=90, a bare server name (100% to it), or 'previous'"

export class WeightsError extends Error {}

const items = (s: string) =>
  s
    .split(/[\n,]/)
    .map((l) => l.trim())
    .filter(Boolean)

export function parseServers(text: string): Server[] {
  const out: Server[] = []
  for (const line of text.split(/\r?\n/).map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue
    const eq = line.indexOf('=')
    const name = line.slice(0, eq).trim()
    const address = line.slice(eq + 1).trim()
    if (eq < 1 || address === '') throw new WeightsError(`expected ${SERVERS_FORM} ('${line}' is not)`)
    if (!NAME.test(name)) throw new WeightsError(`expected ${SERVERS_FORM}, with ${NAME_FORM} ('${name}' is not)`)
    if (out.some((s) => s.name === name)) throw new WeightsError(`'${name}' is listed twice; expected each name once`)
    out.push({ name, address })
  }
  if (out.length === 0) throw new WeightsError(`expected ${SERVERS_FORM}`)
  return out
}

/** What `weights` says: explicit percentages, or `previous` (the state before the last recorded change). */
export type WeightsSpec = { kind: 'set'; weights: Weights } | { kind: 'previous' }

export function parseWeights(text: string): WeightsSpec {
  const s = text.trim()
  if (s === 'previous') return { kind: 'previous' }
  const list = items(s)
  if (list.length === 0) throw new WeightsError(`expected ${WEIGHTS_FORM}`)
  // A bare name: all of the traffic to it.
  if (list.length === 1 && !list[0].includes('=')) {
    if (!NAME.test(list[0])) throw new WeightsError(`expected ${WEIGHTS_FORM}`)
    return { kind: 'set', weights: { [list[0]]: 100 } }
  }
  const weights: Weights = {}
  for (const item of list) {
    const m = item.match(/^([^=\s]+)\s*=\s*(\d{1,3})%?$/)
    if (!m || !NAME.test(m[1]) || Number(m[2]) > 100)
      throw new WeightsError(`expected ${WEIGHTS_FORM}, each a whole number from 0 to 100 ('${item}' is not)`)
    if (m[1] in weights) throw new WeightsError(`'${m[1]}' is given twice; expected each server once`)
    weights[m[1]] = Number(m[2])
  }
  const sum = Object.values(weights).reduce((a, b) => a + b, 0)
  if (sum !== 100) throw new WeightsError(`expected ${WEIGHTS_FORM}; these sum to ${sum}`)
  return { kind: 'set', weights }
}

export function parseDrain(text: string): string[] {
  const list = items(text)
  const bad = list.find((n) => !NAME.test(n))
  if (bad !== undefined)
    throw new WeightsError(`expected server names, comma-separated or one per line ('${bad}' is not)`)
  return [...new Set(list)]
}

// One way weights read everywhere (release's traffic.json messages too).
export { formatWeights } from '@gantry/release'

/**
 * Every server of `servers` with its percentage (a server the weights do not
 * name gets 0%), checked against `servers` and `drain`: a weight or a drain
 * for an unknown server, or a drain of a server that keeps traffic, is an
 * InputError naming `input` (the user's `weights`, or the recorded previous
 * weights for `weights: previous`).
 */
export function resolveWeights(
  given: Weights,
  servers: readonly Server[],
  drain: readonly string[],
  shown: { input: string; value: string }
): Weights {
  const names = servers.map((s) => s.name)
  const unknown = Object.keys(given).find((k) => !names.includes(k))
  if (unknown !== undefined)
    throw new InputError(
      `Input '${shown.input}' has invalid value '${shown.value}': '${unknown}' is not in servers; expected names from servers (${names.join(', ')})`
    )
  const out: Weights = {}
  for (const n of names) out[n] = given[n] ?? 0
  for (const d of drain) {
    if (!names.includes(d))
      throw new InputError(
        `Input 'drain' has invalid value '${drain.join(',')}': '${d}' is not in servers; expected names from servers (${names.join(', ')})`
      )
    if (out[d] > 0)
      throw new InputError(
        `Input 'drain' has invalid value '${drain.join(',')}': '${d}' keeps ${out[d]}% of the traffic; expected only servers the weights give 0%`
      )
  }
  return out
}

/** Raw router weights (nginx's relative weights, HAProxy's 0-256) as percentages summing to 100. */
export function toPercent(raw: Weights): Weights {
  const names = Object.keys(raw)
  const sum = names.reduce((a, k) => a + raw[k], 0)
  if (sum === 100 || sum === 0) return { ...raw }
  const out: Weights = {}
  let given = 0
  for (const k of names) {
    out[k] = Math.floor((raw[k] * 100) / sum)
    given += out[k]
  }
  // Largest remainders get the points rounding left over.
  const order = [...names].sort((a, b) => ((raw[b] * 100) % sum) - ((raw[a] * 100) % sum))
  for (let i = 0; given < 100; i++, given++) out[order[i % order.length]]++
  return out
}

export function sameWeights(a: Weights | undefined, b: Weights | undefined): boolean {
  if (!a || !b) return false
  const keys = new Set([...Object.keys(a), ...Object.keys(b)])
  for (const k of keys) if ((a[k] ?? 0) !== (b[k] ?? 0)) return false
  return true
}
