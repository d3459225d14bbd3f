/**
 * One HTTP request with a bound on its time, measured and classified. Never
 * throws for a network failure: the result says what happened (timeout,
 * refused, reset, DNS), because the gate reports it as a reason.
 *
 * Two transports share this: `ProbeClient` (undici, for the gate's load
 * sampling, where throughput counts) and `NodeHttpClient` (node:http, for
 * smoke-test, where memory counts: its parser is native, not WebAssembly).
 */
import { classifyNetworkError, type FailureKind } from '@gantry/core'
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

/** What a client can do; smoke-test and the gate take any. */
export interface HttpClient {
  send(req: ProbeRequest): Promise<ProbeResponse>
  close(): Promise<void>
}

/** A response at its headers, body not yet read. */
export interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: AsyncIterable<Uint8Array>
}

/** Sends one request; rejects on a network failure or when the signal aborts. */
export type Transport = (req: ProbeRequest, signal: AbortSignal) => Promise<RawResponse>

/** One bounded, measured exchange over a transport; failures become results. */
export async function exchange(send: Transport, req: ProbeRequest): Promise<ProbeResponse> {
  const start = performance.now()
  // A timer cleared when the exchange ends: AbortSignal.timeout's timer would stay (with its signal)
  // until it fired, so a gate sampling for minutes would hold one per request sent in the last timeout.
  const deadline = new AbortController()
  const timer = setTimeout(() => deadline.abort(), req.timeoutMs)
  const timeout = deadline.signal
  const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout
  let ttfbMs: number | undefined
  try {
    const res = await send(req, signal)
    ttfbMs = performance.now() - start
    const body = await readBody(res.body, req.maxBodyBytes ?? 4 * 1024 * 1024)
    return {
      status: res.status,
      headers: flatHeaders(res.headers),
      body,
      latencyMs: performance.now() - start,
      ttfbMs
    }
  } catch (e) {
    const kind = timeout.aborted ? 'timeout' : req.signal?.aborted ? 'aborted' : classifyNetworkError(e)
    const message = kind === 'timeout' ? `timed out after ${req.timeoutMs} ms` : describe(kind, e)
    return { headers: {}, body: '', latencyMs: performance.now() - start, ttfbMs, error: { kind, message } }
  } finally {
    clearTimeout(timer)
  }
}

async function readBody(body: AsyncIterable<Uint8Array>, max: number): Promise<string> {
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
