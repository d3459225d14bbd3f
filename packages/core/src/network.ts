/**
 * What went wrong with a network call, from the error codes Node and undici
 * attach along an error's cause chain. One classifier, so every action names a
 * refused, reset, timed-out or DNS failure the same way.
 */
export type FailureKind = 'timeout' | 'refused' | 'reset' | 'dns' | 'tls' | 'aborted' | 'redirect' | 'error'

/** Error codes along an error's cause chain (and AggregateError members), outermost first. */
export function errorCodes(e: unknown): string[] {
  const out: string[] = []
  let cur: unknown = e
  for (let i = 0; cur && i < 5; i++) {
    const c = cur as { code?: unknown; cause?: unknown; errors?: unknown[] }
    if (typeof c.code === 'string') out.push(c.code)
    if (Array.isArray(c.errors)) for (const x of c.errors) out.push(...errorCodes(x))
    cur = c.cause
  }
  return out
}

export function classifyNetworkError(e: unknown): FailureKind {
  const cs = errorCodes(e)
  if (cs.some((c) => c === 'ECONNREFUSED')) return 'refused'
  if (cs.some((c) => c === 'ENOTFOUND' || c === 'EAI_AGAIN' || c === 'EAI_NONAME')) return 'dns'
  if (cs.some((c) => /TIMEOUT|ETIMEDOUT/.test(c))) return 'timeout'
  if (cs.some((c) => c === 'ECONNRESET' || c === 'EPIPE' || c === 'UND_ERR_SOCKET' || c === 'UND_ERR_CLOSED'))
    return 'reset'
  if (cs.some((c) => /CERT|SSL|TLS/.test(c))) return 'tls'
  return 'error'
}
