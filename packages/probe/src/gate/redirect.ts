/**
 * The gate follows redirects, as a browser or `curl -L` would, and judges the
 * final answer: with the default `200-399` a 301 that loops used to pass.
 * At most MAX_REDIRECTS are followed; a loop, a sixth redirect, or a Location
 * that is not an http(s) URL fails the request with its reason. The chain is
 * one request: `timeout` bounds all of it and its latency is the whole chain.
 *
 * As fetch does: 303 (and 301/302 after a POST) continue with GET and no body;
 * credentials (Authorization, Proxy-Authorization, Cookie) are not sent to
 * another origin. URLs in reasons are origin and path only (no userinfo, no
 * query, where tokens live).
 */
import { performance } from 'node:perf_hooks'
import type { HttpClient, ProbeRequest, ProbeResponse } from '../request.js'

export const MAX_REDIRECTS = 5

const REDIRECTS = new Set([301, 302, 303, 307, 308])
const CREDENTIALS = new Set(['authorization', 'proxy-authorization', 'cookie'])

const shown = (u: URL): string => `${u.origin}${u.pathname}`

/** A client whose send() follows redirects (at most `max`) and returns the final response. */
export function followingRedirects(client: HttpClient, max = MAX_REDIRECTS): HttpClient {
  return {
    send: (req) => sendFollowing(client, req, max),
    close: () => client.close()
  }
}

export async function sendFollowing(
  client: HttpClient,
  req: ProbeRequest,
  max = MAX_REDIRECTS
): Promise<ProbeResponse> {
  const start = performance.now()
  const deadline = start + req.timeoutMs
  let cur: ProbeRequest = req
  let url = new URL(String(req.url))
  const chain = [url]
  const fail = (last: ProbeResponse, message: string): ProbeResponse => ({
    status: undefined,
    headers: last.headers,
    body: '',
    latencyMs: performance.now() - start,
    error: { kind: 'redirect', message }
  })
  for (;;) {
    const res = await client.send(cur)
    const location = res.headers.location
    if (res.error || res.status === undefined || !REDIRECTS.has(res.status) || !location) {
      return chain.length === 1 ? res : { ...res, latencyMs: performance.now() - start }
    }
    let next: URL
    try {
      next = new URL(location, url)
    } catch {
      return fail(res, `redirect ${res.status} from ${shown(url)} to an invalid Location`)
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      return fail(res, `redirect ${res.status} from ${shown(url)} to a ${next.protocol} URL (only http(s) is followed)`)
    }
    if (chain.some((u) => u.href === next.href)) {
      return fail(res, `redirect loop: ${[...chain, next].map(shown).join(' → ')}`)
    }
    if (chain.length > max) {
      return fail(res, `more than ${max} redirects: ${[...chain, next].map(shown).join(' → ')}`)
    }
    const left = deadline - performance.now()
    if (left <= 0) {
      return {
        ...fail(res, `timed out after ${req.timeoutMs} ms`),
        error: { kind: 'timeout', message: `timed out after ${req.timeoutMs} ms` }
      }
    }
    const method = (cur.method ?? 'GET').toUpperCase()
    const toGet =
      (res.status === 303 && method !== 'HEAD') || ((res.status === 301 || res.status === 302) && method === 'POST')
    const sameOrigin = next.origin === url.origin
    const headers = (Array.isArray(cur.headers) ? cur.headers : Object.entries(cur.headers ?? {})).filter(
      ([name]) => sameOrigin || !CREDENTIALS.has(name.toLowerCase())
    )
    cur = {
      ...cur,
      url: next,
      method: toGet ? 'GET' : method,
      body: toGet ? undefined : cur.body,
      headers,
      timeoutMs: Math.max(1, Math.ceil(left))
    }
    url = next
    chain.push(next)
  }
}
