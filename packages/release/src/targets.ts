/** Builds the targets an action's inputs name. */
import { LocalTarget } from './local/local-target.js'
import { checkSshSpec, makeSshTargets } from './ssh/make.js'
import type { Target } from './target.js'

export type TargetKind = 'local' | 'ssh'

export class TargetNotImplemented extends Error {}

export interface TargetSpec {
  kind: TargetKind
  path: string
  hosts: string[]
  sshKey?: string
  knownHosts?: string
}

export const HOST_FORM = 'user@host[:port] lines'
const HOST = /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+(:\d{1,5})?$/

export function isHostSpec(s: string): boolean {
  return HOST.test(s)
}

/** Fails before any side effect when the kind is not available. */
export function checkTargetSpec(spec: TargetSpec): void {
  if (spec.kind === 'ssh') checkSshSpec(spec)
}

export function makeTargets(spec: TargetSpec, log: (line: string) => void): Target[] {
  checkTargetSpec(spec)
  if (spec.kind === 'ssh') return makeSshTargets(spec, { log })
  return [new LocalTarget(spec.path, log)]
}
