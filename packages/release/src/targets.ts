/**
 * The target kinds, registered in one place. deploy-atomic and auto-rollback
 * spread `targetInputs` into their schemas and call checkTargets/makeTargets:
 * a new kind is its module and one line here (plus action.yml and docs).
 */
import { checkSelected, fields, maskKindSecrets, registry, required, type ParsedInputs } from '@gantry/core'
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

/** Masks every target secret's value (parseInputs masks the log; this also covers our own files). */
export function maskTargetSecrets(i: TargetValues): void {
  maskKindSecrets(targetKinds, i)
}

/** Fails before any side effect when the inputs do not make a target (one line naming the input). */
export function checkTargets(i: TargetValues): void {
  checkSelected(targetKinds, 'target', i)
}

export function makeTargets(i: TargetValues, ctx: TargetContext): Target[] {
  checkTargets(i)
  return (targetKinds.get(i.target) as TargetKindOf<Record<string, never>>).make(i as never, ctx)
}
