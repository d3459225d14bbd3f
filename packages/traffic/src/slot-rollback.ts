/**
 * A rollback of a slot moves its traffic first (auto-rollback with `slot` and
 * the router inputs, DESIGN: Slots). When `.gantry/traffic.json` gives the
 * slot traffic, the weights before the change that gave it are put back
 * (`weights: previous`), so the old slot, still warm, serves again before the
 * slot is relinked; a slot at 0% leaves the router alone.
 */
import { InputError, UserError, fields, optional, type ParsedInputs } from '@gantry/core'
import {
  NothingToRollBack,
  currentWeights,
  markSlotBad,
  previousWeights,
  readTraffic,
  rollback,
  type RollbackOptions,
  type RollbackResult,
  type Weights
} from '@gantry/release'
import { TRAFFIC_TIMEOUT_MS, trafficFields, type TrafficValues } from './inputs.js'
import { routerKinds } from './routers/registry.js'
import { changesOf } from './summary.js'
import { checkTraffic, makeHost, runTraffic, type TrafficOptions, type TrafficResult } from './traffic.js'
import { formatWeights } from './weights.js'

/** The router inputs auto-rollback takes beside `slot` (all optional there: no router, no traffic moved). */
export const slotRouterInputs = {
  router: optional(fields.oneOf(routerKinds.names)),
  upstream: optional(fields.string('an nginx upstream or HAProxy backend name')),
  servers: optional(trafficFields.servers()),
  'router-host': trafficFields.host(),
  'drain-timeout': fields.duration(0, { timer: true }),
  ...routerKinds.inputs
}

export type SlotRouterValues = ParsedInputs<typeof slotRouterInputs> & {
  slot?: string
  path: string
  reason?: string
  'ssh-key'?: string
  'known-hosts'?: string
}

/**
 * The traffic values that move a slot's traffic back, or undefined when no
 * router is given. Every check is made here, before anything changes.
 */
export function slotTrafficValues(v: SlotRouterValues): TrafficValues | undefined {
  if (!v.router) return undefined
  if (!v.slot)
    throw new InputError(
      `Input 'router' has invalid value '${v.router}': it moves a slot's traffic back, but no slot is given; expected slot: <name> (the slot to roll back), or no router`
    )
  for (const name of ['upstream', 'servers'] as const)
    if (v[name] === undefined)
      throw new InputError(
        `Input '${name}' is required when router is given: expected ${name === 'upstream' ? 'the nginx upstream or HAProxy backend that holds the slots' : 'the slots as the router knows them, name=address lines'}`
      )
  const t = {
    ...v,
    upstream: v.upstream!,
    servers: v.servers!,
    weights: { kind: 'previous' },
    drain: [],
    verify: true,
    timeout: TRAFFIC_TIMEOUT_MS,
    reason: `rollback of slot ${v.slot}${v.reason ? `: ${v.reason}` : ''}`
  } as unknown as TrafficValues
  if (!t.servers.some((s) => s.name === v.slot))
    throw new InputError(
      `Input 'slot' has invalid value '${v.slot}': it is not one of the router's servers (${t.servers.map((s) => s.name).join(', ')}); expected the slot's server name`
    )
  checkTraffic(t)
  return t
}

export interface SlotTrafficBack {
  moved: boolean
  /** Why the traffic was left alone, or what was done. */
  note: string
  /** The weights in force afterwards (undefined when none were recorded). */
  weights?: Weights
  result?: TrafficResult
}

/** Moves the slot's traffic back to where it was before the change that gave it traffic. */
export async function moveTrafficOffSlot(t: TrafficValues, slot: string, o: TrafficOptions): Promise<SlotTrafficBack> {
  const host = makeHost(t, o)
  let now: Weights | undefined
  let before: Weights | undefined
  try {
    const mine = { version: 1 as const, changes: changesOf(await readTraffic(host.store), t.upstream) }
    now = currentWeights(mine)
    before = previousWeights(mine)
  } finally {
    await host.close()
  }
  if (!now || !(now[slot] > 0))
    return {
      moved: false,
      weights: now,
      note: now
        ? `slot ${slot} has 0% of the traffic (${formatWeights(now)}): the router is left alone`
        : `no traffic of upstream '${t.upstream}' is recorded: the router is left alone`
    }
  if (!before || !(before[slot] === 0))
    throw new UserError(
      `slot ${slot} has ${now[slot]}% of the traffic (${formatWeights(now)}), and the change before gave it ${before && slot in before ? `${before[slot]}%` : 'no recorded weights'}: there is no state without it to go back to; move the traffic with the traffic action (weights naming the other slot), then roll back the slot; nothing changed`
    )
  const result = await runTraffic(t, o)
  return {
    moved: true,
    weights: result.weights,
    note: `traffic moved back: ${formatWeights(now)} -> ${formatWeights(result.weights)}`,
    result
  }
}

/**
 * auto-rollback's rollback: with a slot and a router, the slot's traffic goes
 * back first, then the slot is relinked to its previous good release. When
 * the slot serves no traffic (moved back, or never given) and held nothing
 * good before, its release is marked bad and stays there without traffic;
 * `to` is then the release of the slot that serves.
 */
export async function rollbackSlotTraffic(
  o: RollbackOptions & { traffic?: TrafficValues; trafficOptions: TrafficOptions }
): Promise<{ result: RollbackResult; back?: SlotTrafficBack }> {
  const back = o.traffic && o.slot ? await moveTrafficOffSlot(o.traffic, o.slot, o.trafficOptions) : undefined
  if (back) o.log(back.note)
  try {
    return { result: await rollback(o), back }
  } catch (e) {
    const idle = back && o.slot && !((back.weights?.[o.slot] ?? 0) > 0)
    if (!(idle && e instanceof NothingToRollBack && !o.to)) throw e
    const slot = o.slot!
    const from = await markSlotBad({ ...o, slot })
    o.log(
      `${e.message.replace(/; nothing changed$/, '')}: release ${from ?? '(none)'} marked bad, slot ${slot} left without traffic`
    )
    const serving = Object.entries(back.weights ?? {}).sort((a, b) => b[1] - a[1])[0]?.[0]
    const to = serving ? await o.targets[0].slot(serving).catch(() => undefined) : undefined
    return { result: { slot, from, to: to ?? '', durationMs: 0, switchMs: 0 }, back }
  }
}
