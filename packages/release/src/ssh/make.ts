/** Builds the ssh targets of `target: ssh`: one per `hosts` line, sharing one key and one known_hosts. */
import * as core from '@actions/core'
import { maskSecret } from '@gantry/core'
import type { TargetSpec } from '../target-spec.js'
import { parseHostLine, type HostLine } from './host.js'
import { SshSession, checkCredentials } from './session.js'
import { SshTarget } from './ssh-target.js'

export class SshSpecError extends Error {}

/** Every check of the ssh inputs, before anything is written or spawned. */
export function checkSshSpec(spec: TargetSpec): HostLine[] {
  if (spec.hosts.length === 0) {
    throw new SshSpecError("Input 'hosts' is required when target is ssh: expected user@host[:port] lines")
  }
  const seen = new Set<string>()
  const hosts = spec.hosts.map((h) => {
    let parsed: HostLine
    try {
      parsed = parseHostLine(h)
    } catch (e) {
      throw new SshSpecError(`Input 'hosts' has invalid value ${(e as Error).message}`)
    }
    const key = `${parsed.user}@${parsed.host}:${parsed.port}`
    // The same host twice would wait on its own lock.
    if (seen.has(key)) throw new SshSpecError(`Input 'hosts' lists '${h}' twice: expected each host once`)
    seen.add(key)
    return parsed
  })
  checkCredentials(spec.sshKey, spec.knownHosts)
  return hosts
}

export interface SshTargetsOptions {
  log: (line: string) => void
  warn?: (message: string) => void
  /** Default: RUNNER_TEMP, else the OS temp dir. */
  tempRoot?: string
}

export function makeSshTargets(spec: TargetSpec, o: SshTargetsOptions): SshTarget[] {
  const hosts = checkSshSpec(spec)
  // The runner masks a multi-line secret line by line only when told each line.
  for (const line of spec.sshKey!.split(/\r?\n/)) if (!/^-----/.test(line.trim())) maskSecret(line.trim())
  const session = new SshSession({
    key: spec.sshKey!,
    knownHosts: spec.knownHosts!,
    tempRoot: o.tempRoot ?? (process.env.RUNNER_TEMP || undefined),
    warn: o.warn ?? ((m) => core.warning(m))
  })
  return hosts.map((host, index) => new SshTarget({ host, base: spec.path, session, index, log: o.log }))
}
