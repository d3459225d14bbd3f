/**
 * `strategy: rolling` (deploy-atomic): the hosts of a fleet behind one router,
 * switched in batches. Per batch: read the router's weights (remembered), drain
 * the batch's servers (0%, the others keep their ratios; the router waits until
 * their sessions end or drain-timeout), switch and activate those hosts, gate
 * each one directly at host-health-url (`{host}` = the host part of its hosts
 * line; the shared health policy, as health-gate), then put the weights back.
 * A failure anywhere stops the roll: every host switched so far goes back,
 * every server goes back exactly as the router held it before the deploy
 * (its own weights and states, not the percentages read), and one error names
 * the host by its router server name and says why.
 *
 * A host that cannot be switched back (unreachable) stays out of rotation (0%,
 * drained): it runs the release every other host marks bad. Its own history
 * cannot be written, so the record is kept where it can be: the other hosts'
 * switch-back events and the summary name it and why, and `onLeftOut` records
 * the change on the router side (deploy-atomic: traffic.json, whose `weights:
 * previous` puts it back once it is switched back).
 *
 * The router is used directly (makeRouter), never through runTraffic: deploy()
 * already holds the deploy lock of `path`, and a roll that ends where it
 * started records no change in traffic.json.
 */
import { UserError } from '@gantry/core'
import type { Rollout, RolloutHost, Weights } from '@gantry/release'
import type { Router, RouterSaved } from './router.js'
import { formatWeights, sameWeights, toPercent } from './weights.js'

/** One host's gate: health-gate's verdict on its direct URL. */
export interface HostGate {
  ok: boolean
  /** p95 of the sample (ms); null when no sample was taken. */
  p95: number | null
  /** Why it failed; empty when it passed. */
  reasons: string[]
}

export type BatchVerdict = 'passed' | 'failed'

/** One batch, for the summary and the report. */
export interface BatchRecord {
  /** 1-based. */
  index: number
  /** The batch's router server names. */
  servers: string[]
  /** The batch's target names. */
  hosts: string[]
  /** How long the drain took (apply with drain: until the sessions ended or drain-timeout), ms. */
  drainMs: number | null
  /** The worst p95 of the batch's host gates (ms); null when no gate sampled. */
  gateP95: number | null
  verdict: BatchVerdict
  /** Why the batch failed. */
  reason?: string
}

/** What the roll did, filled as it goes (so a failed deploy still has it for the summary). */
export interface RollingRecord {
  /** The router's weights before the deploy (what a failure restores). */
  before?: Weights
  batches: BatchRecord[]
  /** The router's weights after the roll (read back, else the last applied). */
  after?: Weights
  /** On failure: whether every server was put back as before (read back and compared when the router can be read). */
  restored?: boolean | 'not-readable'
  /** The hosts a failure could not switch back (server name, with why). */
  notSwitchedBack?: string[]
  /** The servers a failure left out of rotation (0%, drained): not switched back, they run the new release. */
  leftOut?: string[]
}

export interface RollingOptions {
  router: Router
  /** Every server name of the router (the hosts' and any other, which keep their weights). */
  servers: readonly string[]
  batchSize: number
  /** `http://{host}:8080/healthz`: `{host}` is each host's hostAddress. */
  hostHealthUrl: string
  /** Gates one host at its URL (deploy-atomic: runGate with the health-gate policy). */
  gate: (url: URL, host: RolloutHost) => Promise<HostGate>
  /** The weights read before the deploy (deploy-atomic reads them before anything changes); default: read at the start. */
  before?: Weights
  /** The router's state read with them (Router.save), put back exactly on failure; default: saved at the start. */
  saved?: RouterSaved
  /** Told when a failure leaves servers out of rotation (the weights now, and why), to record it on the router side. */
  onLeftOut?: (left: { servers: string[]; weights: Weights; previous: Weights; reason: string }) => Promise<void>
  log: (line: string) => void
  /** Progress: one line per batch on each change of state. */
  progress?: (key: string, state: string, detail: string) => void
  /** ms clock for the drain times; default performance.now. */
  clock?: () => number
}

export class RollingError extends UserError {}

/** `{host}` replaced by the host's address; a URL that does not parse is an error naming the host. */
export function hostUrl(template: string, host: Pick<RolloutHost, 'serverName' | 'hostAddress'>): URL {
  if (!host.hostAddress)
    throw new RollingError(`${host.serverName}: has no host part to put in host-health-url's {host}`)
  const text = template.replaceAll('{host}', host.hostAddress)
  try {
    return new URL(text)
  } catch {
    throw new RollingError(`host-health-url '${template}' gives '${text}' for ${host.serverName}, which is not a URL`)
  }
}

/** A message of deploy()'s or the target's about a host (`deploy@10.0.0.13:/srv/app: …`, also nested) with the host named as the router names it. */
export function byServerName(message: string, h: Pick<RolloutHost, 'name' | 'serverName'>): string {
  return message.replaceAll(`${h.name}: `, `${h.serverName}: `)
}

/**
 * The weights with `drained` at 0% and the others keeping their ratios (summing
 * to 100 again); an error when the others have no traffic to take over.
 */
export function drainWeights(w: Weights, drained: readonly string[]): Weights {
  const raw: Weights = {}
  for (const [k, n] of Object.entries(w)) raw[k] = drained.includes(k) ? 0 : n
  if (Object.values(raw).every((n) => n === 0))
    throw new RollingError(
      `draining ${drained.join(', ')} leaves no server with traffic (${formatWeights(w)}); expected a batch-size that leaves a server in rotation`
    )
  return toPercent(raw)
}

/** The batches of `size` (the last may be smaller). */
export function batchesOf<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size))
  return out
}

/** The rollout for deploy() and the record it fills. */
export function rollingRollout(o: RollingOptions): { rollout: Rollout; record: RollingRecord } {
  const record: RollingRecord = { batches: [] }
  const clock = o.clock ?? (() => performance.now())
  const progress = o.progress ?? (() => undefined)
  let applied: Weights | undefined

  const read = async (): Promise<Weights | undefined> => (await o.router.read()) ?? applied
  const apply = async (w: Weights, drain: readonly string[]) => {
    await o.router.apply(w, drain)
    applied = w
  }
  // A router that cannot save its state (command) is put back with the percentages read.
  const fromWeights = (w: Weights): RouterSaved => ({
    held: Object.keys(w),
    weights: (out = []) => (out.length ? drainWeights(w, out) : w),
    restore: (out = []) => apply(out.length ? drainWeights(w, out) : w, out)
  })
  const save = async (fallback: Weights): Promise<RouterSaved> => {
    const s = await o.router.save?.()
    return s ?? fromWeights((await read()) ?? fallback)
  }
  const putBack = async (s: RouterSaved, out: readonly string[] = []) => {
    await s.restore(out)
    applied = s.weights(out)
  }

  const rollout: Rollout = async (hosts) => {
    const before = o.before ?? (await o.router.read())
    if (!before)
      throw new RollingError(
        'the router gives no weights to read before the roll, so it could not be put back as it was'
      )
    const start = o.saved ?? (await save(before))
    record.before = before
    applied = before
    for (const h of hosts)
      if (!(h.serverName in before))
        throw new RollingError(
          `${h.serverName}: the router has no server '${h.serverName}' (it has ${Object.keys(before).join(', ') || 'none'})`
        )
    const batches = batchesOf(hosts, o.batchSize)
    let batch: BatchRecord | undefined
    try {
      for (const [i, b] of batches.entries()) {
        const servers = b.map((h) => h.serverName)
        batch = {
          index: i + 1,
          servers,
          hosts: b.map((h) => h.name),
          drainMs: null,
          gateP95: null,
          verdict: 'failed'
        }
        record.batches.push(batch)
        const key = `batch ${i + 1}/${batches.length}`
        // This batch's router state, put back exactly once its hosts pass.
        const saved = i === 0 ? start : await save(before)
        const was = saved.weights()
        const drained = drainWeights(was, servers)
        // Servers the router already gives 0% take no traffic to drain (and keep their state: maint stays maint).
        const drain = servers.filter((s) => (was[s] ?? 0) > 0)
        progress(key, 'draining', servers.join(', '))
        o.log(`${key}: drain ${servers.join(', ')}: ${formatWeights(was)} -> ${formatWeights(drained)}`)
        const t0 = clock()
        await apply(drained, drain).catch((e: unknown) => {
          throw new RollingError(`router: draining ${servers.join(', ')} failed: ${(e as Error).message}`)
        })
        batch.drainMs = Math.round(clock() - t0)
        progress(key, 'switching', `${servers.join(', ')} drained in ${batch.drainMs} ms`)
        for (const h of b)
          await h.switch().catch((e: unknown) => {
            throw new RollingError(byServerName((e as Error).message, h))
          })
        progress(key, 'gating', b.map((h) => h.hostAddress).join(', '))
        const gates = await Promise.all(
          b.map(async (h) => {
            const url = hostUrl(o.hostHealthUrl, h)
            return { h, url, g: await o.gate(url, h) }
          })
        )
        const p95s = gates.map((x) => x.g.p95).filter((p): p is number => p !== null)
        batch.gateP95 = p95s.length ? Math.max(...p95s) : null
        const bad = gates.find((x) => !x.g.ok)
        if (bad)
          throw new RollingError(
            `${bad.h.serverName}: gate failed at ${bad.url.href}: ${bad.g.reasons.join('; ') || 'unhealthy'}`
          )
        o.log(`${key}: back in rotation: ${formatWeights(was)}`)
        await putBack(saved).catch((e: unknown) => {
          throw new RollingError(
            `router: putting ${servers.join(', ')} back in rotation failed: ${(e as Error).message}`
          )
        })
        batch.verdict = 'passed'
        progress(key, 'passed', batch.gateP95 === null ? 'no sample' : `gate p95 ${batch.gateP95} ms`)
      }
    } catch (e) {
      const why = (e as Error).message
      if (batch) {
        batch.verdict = 'failed'
        batch.reason = why
      }
      const at = batch ? `batch ${batch.index}/${batches.length}` : 'the start'
      // The hosts switched so far go back, newest first (deploy() records it on every host).
      const back: string[] = []
      const stuck: string[] = []
      let out: string[] = []
      for (const h of hosts.filter((x) => x.switched).reverse()) {
        try {
          if (await h.back()) back.push(h.serverName)
          else stuck.push(`${h.serverName} (no previous release)`)
        } catch (e2) {
          stuck.push(`${h.serverName} (${byServerName((e2 as Error).message, h)})`)
          out.push(h.serverName)
        }
      }
      if (stuck.length) record.notSwitchedBack = stuck
      // A host that could not be switched back still runs the new release: it stays out of rotation
      // (drained, 0%) rather than serve what every other host just marked bad once it is reachable again.
      if (out.length && !Object.values(safeWeights(start, out) ?? {}).some((n) => n > 0)) {
        o.log(`router: ${out.join(', ')} cannot all be left out of rotation (no server would have traffic)`)
        out = []
      }
      const restored = await restore(o, start, putBack, out)
      record.restored = restored.ok
      let left = ''
      if (out.length) {
        record.leftOut = out
        left = `; ${out.join(', ')} left out of rotation (0%, drained), on the new release until a deploy switches ${out.length === 1 ? 'it' : 'them'}`
      }
      const message = `rolling stopped at ${at}: ${why}; ${back.length ? `switched back: ${back.join(', ')}` : 'no host was switched'}${stuck.length ? `; NOT switched back: ${stuck.join(', ')}` : ''}; ${restored.text}${left}`
      if (out.length && restored.ok !== false)
        await o
          .onLeftOut?.({ servers: out, weights: start.weights(out), previous: before, reason: message })
          .catch((e2: unknown) =>
            o.log(`router: recording ${out.join(', ')} left out failed: ${(e2 as Error).message}`)
          )
      throw new RollingError(message)
    } finally {
      record.after = await read().catch(() => applied)
    }
  }
  return { rollout, record }
}

/** `s.weights(out)`, or undefined when leaving `out` out is impossible. */
function safeWeights(s: RouterSaved, out: readonly string[]): Weights | undefined {
  try {
    return s.weights(out)
  } catch {
    return undefined
  }
}

/** Every server back as saved (`out` at 0%, drained), read back and compared when the router can be read. */
async function restore(
  o: RollingOptions,
  saved: RouterSaved,
  putBack: (s: RouterSaved, out: readonly string[]) => Promise<void>,
  out: readonly string[]
): Promise<{ ok: boolean | 'not-readable'; text: string }> {
  const expected = saved.weights(out)
  try {
    await putBack(saved, out)
  } catch (e) {
    o.log(`router: restoring ${formatWeights(expected)} failed: ${(e as Error).message}`)
    return { ok: false, text: `the router was NOT put back to ${formatWeights(expected)}: ${(e as Error).message}` }
  }
  let after: Weights | undefined
  try {
    after = await o.router.read()
  } catch (e) {
    return { ok: false, text: `the router could not be read back after restoring: ${(e as Error).message}` }
  }
  if (after === undefined) return { ok: 'not-readable', text: `router weights restored to ${formatWeights(expected)}` }
  if (!sameWeights(after, expected))
    return {
      ok: false,
      text: `the router reads ${formatWeights(after)} after restoring, expected ${formatWeights(expected)}`
    }
  return { ok: true, text: `router weights restored to ${formatWeights(expected)}` }
}
