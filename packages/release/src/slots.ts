/**
 * `slot: idle` (DESIGN: Slots): the slot with 0% of the traffic, read from
 * `<path>/.gantry/traffic.json` through each target's StateStore. Blue-green
 * assumes the router's traffic history lives with the slots: the first host
 * decides, and every other host that keeps a traffic.json must agree (one
 * that keeps none has nothing to disagree with).
 */
import { InputError } from '@gantry/core'
import { IDLE_SLOT, SLOT_FORM, TRAFFIC, isSlotName } from './layout.js'
import type { StateStore } from './target.js'
import { emptyTraffic, idleSlot, parseTraffic, TrafficStateError } from './traffic-state.js'

function idleError(why: string): InputError {
  return new InputError(`Input 'slot' has invalid value '${IDLE_SLOT}': ${why}; nothing changed`)
}

async function idleOn(t: StateStore, required: boolean): Promise<string | undefined> {
  let text: string | undefined
  try {
    text = await t.readState(TRAFFIC)
    if (text === undefined && !required) return undefined
    const slot = idleSlot(text === undefined ? emptyTraffic() : parseTraffic(text, `.gantry/${TRAFFIC}`))
    if (!isSlotName(slot))
      throw new TrafficStateError(`the idle server in .gantry/${TRAFFIC} is '${slot}', which is not ${SLOT_FORM}`)
    return slot
  } catch (e) {
    if (e instanceof TrafficStateError) throw idleError(`${t.name}: ${e.message}`)
    throw e
  }
}

/** The slot a deploy links: `slot` itself, or for `idle` the slot the traffic history says has 0%; undefined: `current`. */
export async function resolveSlot(
  targets: readonly StateStore[],
  slot: string | undefined
): Promise<string | undefined> {
  if (slot !== IDLE_SLOT || targets.length === 0) return slot
  const idle = (await idleOn(targets[0], true))!
  for (const t of targets.slice(1)) {
    const other = await idleOn(t, false)
    if (other !== undefined && other !== idle)
      throw idleError(
        `${targets[0].name} says slot '${idle}' is idle but ${t.name} says '${other}'; the hosts' .gantry/${TRAFFIC} disagree`
      )
  }
  return idle
}
