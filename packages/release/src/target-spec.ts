/** What the ssh kind's inputs say, as its builder takes them (hand-built by the ssh system tests). */
export interface TargetSpec {
  kind: 'ssh'
  path: string
  hosts: string[]
  sshKey?: string
  knownHosts?: string
}
