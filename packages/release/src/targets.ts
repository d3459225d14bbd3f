/**
 * The target kinds, registered in one place. deploy-atomic and auto-rollback
 * spread `targetInputs` into their schemas and call checkTargets/makeTargets:
 * a new kind is its module and one line here (plus action.yml and docs).
 */
import { fields, maskSecret, refuseOtherKinds, registry, required, type ParsedInputs } from '@gantry/core'
import { localKind } from './local/kind.js'
import { sshKind } from './ssh/kind.js'
import type { Target } from './target.js'
import type { TargetContext, TargetKindOf } from './target-kind.js'

export type { TargetSpec } from './target-spec.js'
export type { TargetCommon, TargetContext, TargetKindOf } from './target-kind.js'

export const targetKinds = registry('target', [localKind, sshKind] as const)

export type TargetKind = (typeof targetKinds.names)[number]

/** Every target input: the deploy root, the kind, and each kind's own. */
export const targetInputs = {
  path: required(fields.path()),
  target: fields.oneOf(targetKinds.names),
  ...targetKinds.inputs
}

export type TargetValues = ParsedInputs<typeof targetInputs>

const given = (v: unknown) => (Array.isArray(v) ? v.length > 0 : v !== undefined && v !== '')

/** Masks every target secret's value (parseInputs masks the log; this also covers our own files). */
export function maskTargetSecrets(i: TargetValues): void {
  const values = i as unknown as Record<string, string | undefined>
  for (const name of targetKinds.secrets) maskSecret(values[name])
}

/** Fails before any side effect when the inputs do not make a target (one line naming the input). */
export function checkTargets(i: TargetValues): void {
  const values = i as unknown as Record<string, unknown>
  const kind = targetKinds.get(i.target) as TargetKindOf<Record<string, never>>
  const ignored = new Set(
    targetKinds.kinds.flatMap((k) =>
      k.name === i.target ? [] : ((k as { credentials?: readonly string[] }).credentials ?? [])
    )
  )
  refuseOtherKinds(
    targetKinds,
    'target',
    i.target,
    (input) => !ignored.has(input) && given(values[input]),
    (input) => {
      if (targetKinds.secrets.includes(input)) return '***'
      const v = values[input]
      return `'${Array.isArray(v) ? v.join('\\n') : String(v)}'`
    }
  )
  kind.check?.(i as never)
}

export function makeTargets(i: TargetValues, ctx: TargetContext): Target[] {
  checkTargets(i)
  return (targetKinds.get(i.target) as TargetKindOf<Record<string, never>>).make(i as never, ctx)
}
