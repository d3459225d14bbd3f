/**
 * One HTTP request with a bound on its time, measured and classified. Never
 * throws for a network failure: the result says what happened (timeout,
 * refused, reset, DNS), because the gate reports it as a reason.
 */
import { classifyNetworkError, type FailureKind } from '@gantry/core'
import { Agent, request, type Dispatcher } from 'undici'
import { performance } from 'node:perf_hooks'

export interface ProbeRequest {
  url: string | URL
  method?: string
  headers?: Record<string, string> | Array<[string, string]>
  body?: string | Buffer
  /** Bound on the whole exchange: connect, headers and body. */
  timeoutMs: number
  signal?: AbortSignal
  /** Bodies are read up to this many bytes; the rest is discarded (default 4 MiB). */
  maxBodyBytes?: number
}

export interface ProbeResponse {
  /** Present when a response arrived. */
  status?: number
  headers: Record<string, string>
  body: string
  /** Request start to last body byte (or to the failure), ms. */
  latencyMs: number
  /** Request start to response headers, ms. */
  ttfbMs?: number
  error?: { kind: FailureKind; message: string }
}

export interface ProbeClientOptions {
  /** Keep-alive connections per origin. */
  connections?: number
}

/** A keep-alive connection pool; close() when done so no socket outlives the step. */
export class ProbeClient {
  readonly dispatcher: Agent

  constructor(options: ProbeClientOptions = {}) {
    this.dispatcher = new Agent({
      connections: options.connections ?? 16,
      keepAliveTimeout: 10_000,
      pipelining: 1
    })
  }

  async send(req: ProbeRequest): Promise<ProbeResponse> {
    const start = performance.now()
    const timeout = AbortSignal.timeout(req.timeoutMs)
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout
    let ttfbMs: number | undefined
    try {
      const res = await request(req.url, {
        dispatcher: this.dispatcher,
        method: (req.method ?? 'GET').toUpperCase() as Dispatcher.HttpMethod,
        headers: Array.isArray(req.headers) ? req.headers.flat() : req.headers,
        body: req.body,
        signal,
        // The overall bound comes from the signal; these only stop undici's
        // own (longer) defaults from firing first with a different message.
        headersTimeout: req.timeoutMs + 1000,
        bodyTimeout: req.timeoutMs + 1000
      })
      ttfbMs = performance.now() - start
      const body = await readBody(res.body, req.maxBodyBytes ?? 4 * 1024 * 1024)
      return {
        status: res.statusCode,
        headers: flatHeaders(res.headers),
        body,
        latencyMs: performance.now() - start,
        ttfbMs
      }
    } catch (e) {
      const kind = timeout.aborted ? 'timeout' : req.signal?.aborted ? 'aborted' : classifyNetworkError(e)
      const message = kind === 'timeout' ? `timed out after ${req.timeoutMs} ms` : describe(kind, e)
      return { headers: {}, body: '', latencyMs: performance.now() - start, ttfbMs, error: { kind, message } }
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close()
  }
}

async function readBody(body: Dispatcher.ResponseData['body'], max: number): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    const buf = chunk as Buffer
    if (size < max) chunks.push(size + buf.length > max ? buf.subarray(0, max - size) : buf)
    size += buf.length
  }
  return Buffer.concat(chunks).toString('utf8')
}

function flatHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(h))
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v
  return out
}

function describe(kind: FailureKind, e: unknown): string {
  const detail = e instanceof Error ? e.message : String(e)
  switch (kind) {
    case 'refused':
      return 'connection refused'
    case 'reset':
      return 'connection reset'
    case 'dns':
      return `DNS lookup failed (${detail})`
    case 'tls':
      return `TLS error (${detail})`
    case 'aborted':
      return 'aborted'
    default:
      return detail
  }
}
