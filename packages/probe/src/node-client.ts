/**
 * smoke-test's transport: node:http with keep-alive agents. Node parses HTTP
 * with its built-in native llhttp, where undici compiles a WebAssembly build
 * of it; that compile alone is ~35 MiB of peak memory for a short-lived step.
 */
import * as http from 'node:http'
import * as https from 'node:https'
import { exchange, type HttpClient, type ProbeClientOptions, type ProbeRequest, type ProbeResponse } from './request.js'

export class NodeHttpClient implements HttpClient {
  private readonly http: http.Agent
  private readonly https: https.Agent

  constructor(options: ProbeClientOptions = {}) {
    const agent = { keepAlive: true, maxSockets: options.connections ?? 16 }
    this.http = new http.Agent(agent)
    this.https = new https.Agent(agent)
  }

  send(req: ProbeRequest): Promise<ProbeResponse> {
    return exchange(
      (r, signal) =>
        new Promise((resolve, reject) => {
          const url = typeof r.url === 'string' ? new URL(r.url) : r.url
          const tls = url.protocol === 'https:'
          const headers: Record<string, string> = {}
          for (const [k, v] of Array.isArray(r.headers) ? r.headers : Object.entries(r.headers ?? {})) {
            // Repeated names are joined as one field, as HTTP allows for all but cookies.
            const name = k.toLowerCase()
            headers[name] = name in headers ? `${headers[name]}${name === 'cookie' ? '; ' : ', '}${v}` : v
          }
          if (r.body !== undefined) headers['content-length'] = String(Buffer.byteLength(r.body))
          const options = { method: (r.method ?? 'GET').toUpperCase(), headers, signal }
          const onResponse = (res: http.IncomingMessage) =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res })
          const call = tls
            ? https.request(url, { ...options, agent: this.https }, onResponse)
            : http.request(url, { ...options, agent: this.http }, onResponse)
          call.on('error', reject)
          call.end(r.body)
        }),
      req
    )
  }

  async close(): Promise<void> {
    this.http.destroy()
    this.https.destroy()
  }
}
