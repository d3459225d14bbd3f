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
    const res = await request(r.url, {
      dispatcher,
      method: (r.method ?? 'GET').toUpperCase() as Dispatcher.HttpMethod,
      headers: Array.isArray(r.headers) ? r.headers.flat() : r.headers,
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
