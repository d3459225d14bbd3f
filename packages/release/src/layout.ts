/**
 * The names of the deploy layout (DESIGN.md), for every filesystem target and
 * the tests: one place says what a staging directory, a temp file and the
 * `current` link look like, so cleanPartials() on local and ssh remove exactly
 * what either left behind.
 *
 *   <path>/releases/<id>/              complete, verified releases
 *   <path>/releases/.partial-<id>-<hex> staging (also `.partial-removing-<id>-<hex>`)
 *   <path>/current -> releases/<id>
 *   <path>/shared/
 *   <path>/slots/<name> -> ../releases/<id>   (deploy-atomic's `slot`; switched as `current` is)
 *   <path>/.gantry/{history.json,traffic.json,lock,manifests/<id>.json,cache/<id>.json}
 */
import { randomBytes } from 'node:crypto'

export const RELEASES = 'releases'
export const SHARED = 'shared'
export const CURRENT = 'current'
/** State: lock, history, manifests (and the local target's stat caches). */
export const STATE = '.gantry'
export const HISTORY = 'history.json'
export const LOCK = 'lock'
export const MANIFESTS = 'manifests'
export const CACHES = 'cache'

/** The traffic history of the `traffic` action (traffic-state.ts). */
export const TRAFFIC = 'traffic.json'
/** Where slot links live: `<path>/slots/<name> -> ../releases/<id>`. */
export const SLOTS = 'slots'
/** The `slot` value that means "the slot with 0% of the traffic" (traffic-state.ts idleSlot); never a slot's own name. */
export const IDLE_SLOT = 'idle'
/** What a slot name looks like, in words (input errors). */
export const SLOT_FORM = 'a slot name (a lowercase letter, then up to 31 lowercase letters, digits or -, such as green)'
const SLOT_NAME = /^[a-z][a-z0-9-]{0,31}$/

/** Whether `name` can be a slot (`idle` is the keyword, never a slot). */
export function isSlotName(name: string): boolean {
  return SLOT_NAME.test(name) && name !== IDLE_SLOT
}

/** A slot name, checked: targets build paths from it. */
export function slotName(name: string): string {
  if (!isSlotName(name)) throw new Error(`'${name}' is not a slot name (expected ${SLOT_FORM})`)
  return name
}

/** `slots/<name>`, relative to `<path>`. */
export function slotPath(name: string): string {
  return `${SLOTS}/${slotName(name)}`
}

/** What a slot's symlink holds for a release (relative to slots/). */
export function slotLinkTarget(id: string): string {
  return `../${RELEASES}/${id}`
}

/** The release id a slot link names, or undefined when it names something else. */
export function parseSlotLink(target: string): string | undefined {
  return /^\.\.\/releases\/([^/]+)$/.exec(target.replace(/\/+$/, ''))?.[1]
}

/** State files other than history a caller may read and write (StateStore.readState). */
const STATE_FILES = new Set([TRAFFIC])

/** A state file's name, checked: the StateStore takes names, never paths. */
export function stateName(name: string): string {
  if (!STATE_FILES.has(name)) throw new Error(`'${name}' is not a state file (have: ${[...STATE_FILES].join(', ')})`)
  return name
}

export const PARTIAL = '.partial-'

function hex(): string {
  return randomBytes(4).toString('hex')
}

/** A staging directory's name under releases/ (a crash leaves it; cleanPartials removes it). */
export function stagingName(id: string): string {
  return `${PARTIAL}${id}-${hex()}`
}

/** Where a release is moved before it is deleted, so a crash mid-delete leaves a partial, never half a release. */
export function removingName(id: string): string {
  return `${PARTIAL}removing-${id}-${hex()}`
}

export function isPartial(name: string): boolean {
  return name.startsWith(PARTIAL)
}

/** `.<name>.tmp-<pid>-<hex>`: a temp name beside `name` in the same directory, so rename(2) is atomic. */
export function tempName(name: string): string {
  return `.${name}.tmp-${process.pid}-${hex()}`
}

const TEMP = /^\..*\.tmp-\d+-[0-9a-f]+$/

export function isTempName(name: string): boolean {
  return TEMP.test(name)
}

/** What the `current` symlink holds for a release. */
export function currentLinkTarget(id: string): string {
  return `${RELEASES}/${id}`
}

/** The release id a `current` link names, or undefined when it names something else. */
export function parseCurrentLink(target: string): string | undefined {
  return /^(?:\.\/)?releases\/([^/]+)$/.exec(target.replace(/\/+$/, ''))?.[1]
}

export function manifestName(id: string): string {
  return `${id}.json`
}

/** A manifest's (or cache's) release id, or undefined for another file. */
export function manifestId(name: string): string | undefined {
  return name.endsWith('.json') ? name.slice(0, -'.json'.length) : undefined
}
