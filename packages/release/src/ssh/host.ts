/** `user@host[:port]` lines of the `hosts` input. */

export interface SshHost {
  user: string
  host: string
  port: number
  /** `user@host:port` as given (port shown only when given). */
  label: string
}

export class HostError extends Error {}

export const HOST_FORM = 'user@host[:port] lines'
/** The form of a `hosts` line: an optional router server name, then the host. */
export const HOST_LINE_FORM = '[name=]user@host[:port] lines'
const HOST = /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+(:\d{1,5})?$/
/** A router server name (the traffic action's server names). */
const SERVER_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/

/** The input field's first check (parseHost, run by the ssh kind's check, is the strict one). */
export function isHostSpec(s: string): boolean {
  return HOST.test(s)
}

/** A `hosts` line's first check: `user@host[:port]`, optionally after `name=`. */
export function isHostLine(s: string): boolean {
  const eq = s.indexOf('=')
  if (eq < 0) return HOST.test(s)
  return SERVER_NAME.test(s.slice(0, eq).trim()) && HOST.test(s.slice(eq + 1).trim())
}

/** One `hosts` line: the host, and the router server name it stands for. */
export interface HostLine extends SshHost {
  /** The name before `=` (`web1=deploy@10.0.0.11`), else the host part. */
  serverName: string
  /** Whether the line gave the name. */
  named: boolean
}

/**
 * `[name=]user@host[:port]`: the router's server name for rolling deploys
 * (default: the host part). A line without `=` reads exactly as parseHost reads it.
 */
export function parseHostLine(s: string): HostLine {
  const line = s.trim()
  const eq = line.indexOf('=')
  if (eq < 0) {
    const h = parseHost(line)
    return { ...h, serverName: h.host, named: false }
  }
  const name = line.slice(0, eq).trim()
  if (!SERVER_NAME.test(name))
    throw new HostError(
      `'${s}' does not start with a server name: expected name=user@host[:port] with a name of letters, digits, '_', '.' or '-'`
    )
  const h = parseHost(line.slice(eq + 1))
  return { ...h, serverName: name, named: true }
}

// Neither part may start with '-': ssh and rsync would read it as an option.
const FORM = /^([A-Za-z0-9_][A-Za-z0-9._-]*)@([A-Za-z0-9][A-Za-z0-9.-]*)(?::(\d{1,5}))?$/

export function parseHost(s: string): SshHost {
  const m = s.trim().match(FORM)
  const port = m?.[3] === undefined ? 22 : Number(m[3])
  if (!m || port < 1 || port > 65535) {
    throw new HostError(
      `'${s}' is not user@host[:port] (a user and host name of letters, digits, '.', '_' or '-', port 1-65535)`
    )
  }
  return { user: m[1], host: m[2], port, label: s.trim() }
}
