/** The gate's transport: an undici keep-alive pool, the fastest client for sampling under load. */
import { Agent, request, type Dispatcher } from 'undici'
import { exchange, type HttpClient, type ProbeClientOptions, type ProbeRequest, type ProbeResponse } from './request.js'

/** A keep-alive connection pool; close() when done so no socket outlives the step. */
export class ProbeClient implements HttpClient {
  readonly dispatcher: Agent

  constructor(options: ProbeClientOptions = {}) {
    this.dispatcher = new Agent({
      connections: options.connections ?? 16,
      keepAliveTimeout: 10_000,
      pipelining: 1
    })
  }

  send(req: ProbeRequest): Promise<ProbeResponse> {
    return exchange(async (r, signal) => {
      const res = await request(r.url, {
        dispatcher: this.dispatcher,
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
    }, req)
  }

  async close(): Promise<void> {
    await this.dispatcher.close()
  }
}
