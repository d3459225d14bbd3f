/**
 * The cache backends, registered in one place: build-cache spreads
 * `backendInputs` into its schema and makes its store through `makeBackend`,
 * so a new store is its module and one line here (plus action.yml and docs).
 */
import { checkSelected, fields, registry, type ParsedInputs } from '@gantry/core'
import type { CacheBackend } from './backend.js'
import { githubKind } from './github-kind.js'
import type { BackendContext, BackendKindOf } from './kind.js'
import { localKind } from './local-kind.js'

export type { BackendContext, BackendKindOf } from './kind.js'

export const backendKinds = registry('backend', [githubKind, localKind] as const)

export type BackendName = (typeof backendKinds.names)[number]

export const backendInputs = {
  backend: fields.oneOf(backendKinds.names),
  ...backendKinds.inputs
}

export type BackendValues = ParsedInputs<typeof backendInputs>

/** Before any side effect: another backend's input is refused, then the chosen one's checks run. */
export function checkBackend(i: BackendValues): void {
  checkSelected(backendKinds, 'backend', i)
}

export function makeBackend(i: BackendValues, ctx: BackendContext): CacheBackend {
  return (backendKinds.get(i.backend) as BackendKindOf<Record<never, never>>).make(i as never, ctx)
}

/** The backend's inputs out of an action's (what main hands the post step). */
export function backendValues(i: BackendValues): BackendValues {
  const values = i as unknown as Record<string, unknown>
  return Object.fromEntries(Object.keys(backendInputs).map((k) => [k, values[k]])) as unknown as BackendValues
}
