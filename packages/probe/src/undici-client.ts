/** The gate's transport: an undici keep-alive pool, the fastest client for sampling under load. */
import { Agent, request, type Dispatcher } from 'undici'
import {
  exchange,
  type HttpClient,
  type ProbeClientOptions,
  type ProbeRequest,
  type ProbeResponse,
  type Transport
} from './request.js'

/** One request on undici, over `dispatcher` (undici's global one when undefined). */
export function undiciTransport(dispatcher?: Dispatcher): Transport {
  return async (r, signal) => {
    const { url, headers } = withUserinfoAuth(r.url, r.headers)
    const res = await request(url, {
      dispatcher,
      method: (r.method ?? 'GET').toUpperCase() as Dispatcher.HttpMethod,
      headers,
      body: r.body,
      signal,
      // The overall bound comes from the signal; these only stop undici's
      // own (longer) defaults from firing first with a different message.
      headersTimeout: r.timeoutMs + 1000,
      bodyTimeout: r.timeoutMs + 1000
    })
    return { status: res.statusCode, headers: res.headers, body: res.body }
  }
}

/**
 * undici ignores a URL's userinfo (node:http, and so smoke-test, sends it as
 * Basic): `https://user:pass@host/health` would reach the server without
 * credentials. It is sent as node:http sends it, unless the request already
 * carries an Authorization header. core's maskUrl masks that credential.
 */
export function withUserinfoAuth(
  target: string | URL,
  given: ProbeRequest['headers']
): { url: string | URL; headers: Record<string, string> | string[] | undefined } {
  const headers = Array.isArray(given) ? given.flat() : given
  const u = typeof target === 'string' ? new URL(target) : target
  if (!u.username && !u.password) return { url: target, headers }
  const names = Array.isArray(headers) ? headers.filter((_, i) => i % 2 === 0) : Object.keys(headers ?? {})
  const bare = new URL(u.href)
  bare.username = ''
  bare.password = ''
  if (names.some((n) => n.toLowerCase() === 'authorization')) return { url: bare, headers }
  const credential = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString(
    'base64'
  )
  const authorization = `Basic ${credential}`
  return {
    url: bare,
    headers: Array.isArray(headers) ? [...headers, 'authorization', authorization] : { ...headers, authorization }
  }
}

/** A keep-alive connection pool; close() when done so no socket outlives the step. */
export class ProbeClient implements HttpClient {
  readonly dispatcher: Agent
  private readonly transport: Transport

  constructor(options: ProbeClientOptions = {}) {
    this.dispatcher = new Agent({
      connections: options.connections ?? 16,
      keepAliveTimeout: 10_000,
      pipelining: 1
    })
    this.transport = undiciTransport(this.dispatcher)
  }

  send(req: ProbeRequest): Promise<ProbeResponse> {
    return exchange(this.transport, req)
  }

  async close(): Promise<void> {
    await this.dispatcher.close()
  }
}
