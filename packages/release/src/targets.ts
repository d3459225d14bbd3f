/** Builds the targets an action's inputs name. */
import { statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { InputError } from '@gantry/core'
import { LocalTarget } from './local/local-target.js'
import { checkSshSpec, makeSshTargets } from './ssh/make.js'
import type { Target } from './target.js'
import type { TargetSpec } from './target-spec.js'

export type { TargetKind, TargetSpec } from './target-spec.js'

export class TargetNotImplemented extends Error {}

export const HOST_FORM = 'user@host[:port] lines'
const HOST = /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+(:\d{1,5})?$/

export function isHostSpec(s: string): boolean {
  return HOST.test(s)
}

/** Fails before any side effect when the inputs do not make a target (one line naming the input). */
export function checkTargetSpec(spec: TargetSpec): void {
  if (spec.kind === 'ssh') {
    checkSshSpec(spec)
    return
  }
  if (spec.hosts.length) {
    // Else the runner itself would be deployed to, and the step would say it succeeded.
    throw new InputError(
      `Input 'hosts' has invalid value '${spec.hosts.join('\\n')}': hosts are for target 'ssh', but target is 'local'; expected target: ssh, or no hosts`
    )
  }
  checkLocalPath(spec.path)
}

/** `path` on this machine: a directory, or a path whose nearest existing ancestor is one. */
function checkLocalPath(path: string): void {
  for (let p = resolve(path); ; p = dirname(p)) {
    let st
    try {
      st = statSync(p)
    } catch {
      if (dirname(p) === p) return
      continue
    }
    if (st.isDirectory()) return
    throw new InputError(
      `Input 'path' has invalid value '${path}': ${p} is a file; expected a directory (or a path to create)`
    )
  }
}

export function makeTargets(spec: TargetSpec, log: (line: string) => void): Target[] {
  checkTargetSpec(spec)
  if (spec.kind === 'ssh') return makeSshTargets(spec, { log })
  return [new LocalTarget(spec.path, log)]
}
