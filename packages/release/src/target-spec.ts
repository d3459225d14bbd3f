/** What an action's target inputs say, before any target is made (apart so each kind's module can take it without a cycle). */
export type TargetKind = 'local' | 'ssh'

export interface TargetSpec {
  kind: TargetKind
  path: string
  hosts: string[]
  sshKey?: string
  knownHosts?: string
}
