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
const HOST = /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+(:\d{1,5})?$/

/** The input field's first check (parseHost, run by the ssh kind's check, is the strict one). */
export function isHostSpec(s: string): boolean {
  return HOST.test(s)
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
