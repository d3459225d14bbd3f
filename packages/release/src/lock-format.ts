/**
 * The lock file's format: what every target writes and reads. Apart from
 * lock.ts (the protocol) so that target.ts can name LockInfo without a cycle.
 */
export interface LockInfo {
  /** Random; only the holder knows it, so only the holder removes or refreshes. */
  token: string
  run?: string
  repository?: string
  actor?: string
  /** What holds it: deploy or rollback, and the release. */
  purpose: string
  host: string
  pid: number
  acquiredAt: string
  /** The holder's last refresh: a reader judges staleness from it, with its own TTL. */
  refreshedAt?: string
  /** refreshedAt + the holder's TTL (what older readers judge by). */
  expiresAt: string
}

/** The text of a lock file (every target writes locks through this, and reads them through parseLock). */
export function lockText(info: LockInfo): string {
  return JSON.stringify(info, null, 2) + '\n'
}

/** Lock text as an owner, or 'unreadable' when it is not a lock (every target reads locks through this). */
export function parseLock(raw: string): LockInfo | 'unreadable' {
  try {
    const l = JSON.parse(raw) as LockInfo
    return typeof l.token === 'string' && typeof l.host === 'string' ? l : 'unreadable'
  } catch {
    return 'unreadable'
  }
}

/** The token in lock text; undefined when the text has none. */
export function lockToken(raw: string): string | undefined {
  try {
    const t = (JSON.parse(raw) as Partial<LockInfo> | null)?.token
    return typeof t === 'string' ? t : undefined
  } catch {
    return undefined
  }
}

/** Whether lock text is what a remover expects: byte for byte (`raw`), or carrying its `token`. */
export function lockMatches(raw: string, expect: { token?: string; raw?: string }): boolean {
  if (expect.raw !== undefined) return raw === expect.raw
  return expect.token !== undefined && lockToken(raw) === expect.token
}
