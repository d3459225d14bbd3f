/** `target: ssh`: the deploy root on every host of `hosts`, reached with one key and one known_hosts. */
import { InputError, fields, optional } from '@gantry/core'
import { releaseFields } from '../fields.js'
import type { TargetKindOf } from '../target-kind.js'
import type { TargetSpec } from '../target-spec.js'
import { checkSshSpec, makeSshTargets } from './make.js'

const inputs = {
  hosts: releaseFields.hosts(),
  'ssh-key': optional(fields.string()),
  'known-hosts': optional(fields.string())
}

type Values = { path: string; hosts: string[]; 'ssh-key'?: string; 'known-hosts'?: string }

const spec = (v: Values): TargetSpec => ({
  kind: 'ssh',
  path: v.path,
  hosts: v.hosts,
  sshKey: v['ssh-key'],
  knownHosts: v['known-hosts']
})

export const sshKind = {
  name: 'ssh' as const,
  inputs,
  secrets: ['ssh-key'],
  credentials: ['ssh-key', 'known-hosts'],
  check(v) {
    try {
      checkSshSpec(spec(v))
    } catch (e) {
      throw new InputError((e as Error).message)
    }
  },
  make: (v, ctx) => makeSshTargets(spec(v), ctx)
} satisfies TargetKindOf<typeof inputs>
