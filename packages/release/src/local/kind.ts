/** `target: local`: the deploy root is a directory on the runner itself. */
import { statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { InputError } from '@gantry/core'
import type { TargetKindOf } from '../target-kind.js'
import { LocalTarget } from './local-target.js'

export const localKind = {
  name: 'local' as const,
  inputs: {},
  secrets: [],
  check: ({ path }) => checkLocalPath(path),
  make: ({ path }, ctx) => [new LocalTarget(path, ctx.log)]
} satisfies TargetKindOf<Record<never, never>>

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
