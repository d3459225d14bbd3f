/**
 * Registered kinds. A target, a notify channel, a cache backend (and the
 * routers, metric sources and checks that follow) is one descriptor: the
 * inputs only it reads, which of them are secrets, the combination checks it
 * needs, and how to make it. A registry merges its kinds' descriptors, and an
 * action derives from that its input list, its secret masking and its
 * validation, so adding a kind is its module plus one line in its registry.
 */
import { InputError } from './errors.js'
import { maskSecret } from './mask.js'
import type { Field, ParsedInputs } from './inputs.js'

export type FieldShape = Record<string, Field<unknown>>

export interface Kind<S extends FieldShape, Common, Ctx, Made> {
  readonly name: string
  /** The inputs only this kind reads (action.yml declares them; the contract test checks). */
  readonly inputs: S
  /** Of those, the ones never echoed and masked everywhere. */
  readonly secrets: ReadonlyArray<keyof S & string>
  /**
   * Credentials a reusable workflow passes from its secrets whatever the kind
   * (deploy.yml's GANTRY_SSH_KEY): given for another kind they are ignored,
   * where any other input of another kind is refused (checkSelected).
   */
  readonly credentials?: ReadonlyArray<keyof S & string>
  /** Combinations that cannot work: throws InputError (one line) before any side effect. */
  check?(values: ParsedInputs<S> & Common): void
  make(values: ParsedInputs<S> & Common, ctx: Ctx): Made
}

/**
 * Any kind, whatever its inputs, shared values, context and product: a
 * registry holds kinds of one family, and each family's own type names those.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyKind = Kind<any, any, any, unknown>

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never

/** Every kind's inputs, as one shape an action spreads into its own. */
export type MergedInputs<K extends readonly { inputs: FieldShape }[]> = UnionToIntersection<K[number]['inputs']>

export interface Registry<K extends readonly AnyKind[]> {
  /** What the kinds are (for messages: "a target", "a channel"). */
  readonly label: string
  readonly kinds: K
  readonly names: ReadonlyArray<K[number]['name']>
  readonly inputs: MergedInputs<K>
  readonly secrets: readonly string[]
  get(name: string): K[number]
  /** The kind that declares an input, if any. */
  owner(input: string): K[number] | undefined
}

/**
 * Merges kinds into a registry. Two kinds may not declare the same input: each
 * input belongs to one kind, so "given for the wrong kind" can be said.
 */
export function registry<const K extends readonly AnyKind[]>(label: string, kinds: K): Registry<K> {
  const inputs: FieldShape = {}
  const owners = new Map<string, K[number]>()
  for (const k of kinds) {
    for (const [name, field] of Object.entries(k.inputs as FieldShape)) {
      const other = owners.get(name)
      if (other) throw new Error(`${label} kinds '${other.name}' and '${k.name}' both declare input '${name}'`)
      owners.set(name, k)
      inputs[name] = field
    }
  }
  const byName = new Map(kinds.map((k) => [k.name, k]))
  return {
    label,
    kinds,
    names: kinds.map((k) => k.name),
    inputs: inputs as MergedInputs<K>,
    secrets: kinds.flatMap((k) => k.secrets),
    get(name) {
      const k = byName.get(name)
      if (!k) throw new Error(`no ${label} '${name}' (registered: ${[...byName.keys()].join(', ')})`)
      return k
    },
    owner: (input) => owners.get(input)
  }
}

/**
 * For a registry whose kind is chosen by one input (`target`, `backend`):
 * an input given that belongs to another kind is refused, as it would be
 * silently ignored otherwise (e.g. `hosts` with target local would deploy to
 * the runner and say it succeeded).
 */
export function refuseOtherKinds(
  reg: Registry<readonly AnyKind[]>,
  selector: string,
  selected: string,
  given: (input: string) => boolean,
  shown: (input: string) => string
): void {
  for (const input of Object.keys(reg.inputs)) {
    const owner = reg.owner(input)
    if (!owner || owner.name === selected || !given(input)) continue
    throw new InputError(
      `Input '${input}' has invalid value ${shown(input)}: it is for ${selector} '${owner.name}', but ${selector} is '${selected}'; expected ${selector}: ${owner.name}, or no ${input}`
    )
  }
}

const given = (v: unknown) => (Array.isArray(v) ? v.length > 0 : v !== undefined && v !== '')

/**
 * For a registry whose kind the input `selector` chooses (`target`,
 * `backend`): refuses an input of another kind (its credentials aside), then
 * runs the chosen kind's check. `values` are the action's parsed inputs.
 */
export function checkSelected(reg: Registry<readonly AnyKind[]>, selector: string, values: object): void {
  const v = values as Record<string, unknown>
  const selected = String(v[selector])
  const ignored = new Set(reg.kinds.flatMap((k) => (k.name === selected ? [] : (k.credentials ?? []))))
  refuseOtherKinds(
    reg,
    selector,
    selected,
    (input) => !ignored.has(input) && given(v[input]),
    (input) => {
      if (reg.secrets.includes(input)) return '***'
      const value = v[input]
      return `'${Array.isArray(value) ? value.join('\\n') : String(value)}'`
    }
  )
  reg.get(selected).check?.(values)
}

/** Masks every secret input of a registry's kinds (parseInputs masks the log; this also covers our own files). */
export function maskKindSecrets(reg: Registry<readonly AnyKind[]>, values: object): void {
  const v = values as Record<string, unknown>
  for (const name of reg.secrets) maskSecret(v[name] as string | undefined)
}
