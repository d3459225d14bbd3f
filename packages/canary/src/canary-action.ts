/**
 * The canary action's work: check everything, hold the router (traffic's
 * session, under the deploy lock of `path`) for the whole series of steps, run
 * the steps (run-canary.ts) with the chosen metric source and the judge, and
 * on an abort mark the canary slot's release bad while the lock is still held.
 * A router that fails mid-canary gets one attempt to put all traffic back on
 * the baseline before the error is reported.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { ProbeClient, type HttpClient } from '@gantry/probe'
import { markSlotBadHeld, runContext, type Target, type TrafficChange, type Weights } from '@gantry/release'
import { formatWeights, openTraffic, resolveWeights, type TrafficOptions } from '@gantry/traffic'
import { makeGuard } from './guard.js'
import { canaryTraffic, checkCanary, type CanaryValues } from './inputs.js'
import { makeJudge } from './judge.js'
import { runCanary, type CanaryResult } from './run-canary.js'
import { makeSource } from './sources/registry.js'
import { stepWeights } from './steps.js'

export interface CanaryOptions extends TrafficOptions {
  /** The probe's HTTP client (default: undici, 16 connections per origin). */
  client?: HttpClient
}

export interface CanaryOutcome extends CanaryResult {
  baseline: string
  canary: string
  router: string
  upstream: string
  host: string
  source: string
  /** Where and how the source read (prometheus: its URL and query step). */
  sourceDetail?: string
  /** The router's weights before the first step. */
  before: Weights | undefined
  /** The traffic changes this canary recorded, in order. */
  recorded: TrafficChange[]
  /** On an abort: the release marked bad, or why none was. */
  marked?: { release?: string; note: string }
}

const delay = (ms: number, signal: AbortSignal) => sleep(ms, undefined, { signal }).catch(() => undefined)

export async function runCanaryAction(i: CanaryValues, o: CanaryOptions): Promise<CanaryOutcome> {
  checkCanary(i)
  const traffic = canaryTraffic(i)
  const baseline = i['baseline-server']
  const canary = i['canary-server']
  const client = o.client ?? new ProbeClient({ connections: 16 })
  let session
  try {
    session = await openTraffic(traffic, o, `canary ${canary}`)
  } catch (e) {
    await client.close()
    throw e
  }
  // Made on the router host (a log source reads its file there), checked there before anything moves.
  let source
  try {
    source = makeSource(i, { client, host: session.host })
    // What needs the network to check (prometheus-url answering), and the log on the router host, before any traffic moves.
    await source.preflight?.()
    await source.open?.()
  } catch (e) {
    await (source ? source.close() : client.close())
    await session.close()
    throw e
  }
  const judge = makeJudge(source.metrics, {
    confidence: i.confidence,
    tolerance: i.tolerance,
    minSamples: i['min-samples'],
    passScore: i['pass-score'],
    marginalScore: i['marginal-score']
  })
  const recorded: TrafficChange[] = []
  const why = (reason: string) => (i.reason ? `${reason}; ${i.reason}` : reason)
  const apply = async (w: Weights, reason: string) => {
    const target = resolveWeights(w, i.servers, [], { input: 'steps', value: formatWeights(w) })
    const { change } = await session.change(target, { reason: why(reason), verify: true })
    recorded.push(change)
  }
  try {
    const before = (await session.router.read()) ?? undefined
    let result: CanaryResult
    try {
      result = await runCanary(
        {
          baseline,
          canary,
          steps: i.steps,
          bakeMs: i.bake,
          guardIntervalMs: i['guard-interval'],
          maxExtensions: i['max-extensions'],
          onInconclusive: i['on-inconclusive']
        },
        {
          apply,
          source,
          judge,
          guard: makeGuard(i['guard-max-error-rate']),
          wait: delay,
          now: () => Date.now(),
          log: o.log
        }
      )
    } catch (e) {
      // A router or source failure mid-canary: the baseline gets all traffic back if the router still answers.
      if (recorded.length > 0) {
        try {
          await apply(stepWeights(0, baseline, canary), `canary failed: ${(e as Error).message}`)
          o.warn(`canary failed mid-way; all traffic is back on ${baseline}`)
        } catch (again) {
          o.warn(
            `canary failed mid-way and the traffic could not be put back on ${baseline}: ${(again as Error).message}`
          )
        }
      }
      throw e
    }
    const outcome: CanaryOutcome = {
      ...result,
      baseline,
      canary,
      router: i.router,
      upstream: i.upstream,
      host: session.host.name,
      source: source.name,
      sourceDetail: source.detail,
      before,
      recorded
    }
    if (result.verdict === 'aborted') outcome.marked = await markCanary(session.host.store, i, result.reason, o)
    return outcome
  } finally {
    await source.close()
    await session.close()
  }
}

/** The canary slot's release marked bad on the router host's deploy root, when `canary-server` is a slot there. */
async function markCanary(
  store: Target,
  i: CanaryValues,
  reason: string,
  o: CanaryOptions
): Promise<{ release?: string; note: string }> {
  const slot = i['canary-server']
  try {
    const id = await markSlotBadHeld({
      targets: [store],
      slot,
      reason: `canary aborted: ${reason}`,
      context: runContext(o.env ?? process.env),
      log: o.log,
      warn: o.warn
    })
    if (!id)
      return { note: `no slot ${slot} under ${i.path}: no release was marked bad (canary-server is not a slot there)` }
    o.log(`release ${id} of slot ${slot} marked bad`)
    return { release: id, note: `release ${id} of slot ${slot} marked bad` }
  } catch (e) {
    // The traffic is already back on the baseline: a history that cannot be written is said, not a second failure.
    o.warn(`the canary's release could not be marked bad: ${(e as Error).message}`)
    return { note: `not marked bad: ${(e as Error).message}` }
  }
}
