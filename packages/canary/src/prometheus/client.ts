/**
 * A small client of Prometheus's HTTP API (prometheus.io/docs/prometheus/latest/querying/api/):
 * instant and range queries, sent as form POSTs (long PromQL never hits a URL
 * length limit), each bounded by a timeout, and the documented JSON envelope
 * read: `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{…},"values":[[t,"v"],…]}]}}`
 * or `{"status":"error","errorType":…,"error":…}`. Values are strings:
 * "NaN", "+Inf" and "-Inf" included.
 */
import { Agent, request } from 'undici'
import * as z from 'zod/mini'

export interface Series {
  metric: Record<string, string>
  /** [seconds since the epoch, value] pairs, the value parsed ("NaN" → NaN). */
  values: Array<[number, number]>
}

/** Prometheus answered, but with an error (a bad query: errorType bad_data) or a status that is not the API's. */
export class PromApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly errorType?: string
  ) {
    super(message)
  }
}

/** No answer at all: refused, reset, timed out. */
export class PromUnreachable extends Error {}

const sample = z.tuple([z.number(), z.string()])
const envelope = z.object({
  status: z.enum(['success', 'error']),
  data: z.optional(z.unknown()),
  errorType: z.optional(z.string()),
  error: z.optional(z.string())
})
const matrix = z.object({
  resultType: z.literal('matrix'),
  result: z.array(z.object({ metric: z.record(z.string(), z.string()), values: z.array(sample) }))
})
const vector = z.object({
  resultType: z.literal('vector'),
  result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: sample }))
})
const scalar = z.object({ resultType: z.enum(['scalar', 'string']), result: sample })

/** Prometheus's float formatting: "NaN", "+Inf", "-Inf" or a decimal. */
export function parseValue(s: string): number {
  if (s === '+Inf' || s === 'Inf') return Number.POSITIVE_INFINITY
  if (s === '-Inf') return Number.NEGATIVE_INFINITY
  if (s === 'NaN') return Number.NaN
  return Number(s)
}

/** The `data` of a successful answer, or a PromApiError with Prometheus's own words. */
export function readEnvelope(status: number, body: string): unknown {
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    throw new PromApiError(`HTTP ${status}, not the Prometheus API's JSON: ${body.slice(0, 120).trim()}`, status)
  }
  const e = envelope.safeParse(json)
  if (!e.success) throw new PromApiError(`HTTP ${status}, JSON without the API's status field`, status)
  if (e.data.status === 'error')
    throw new PromApiError(
      `${e.data.errorType ?? 'error'}: ${e.data.error ?? '(no message)'}`,
      status,
      e.data.errorType
    )
  if (status < 200 || status >= 300) throw new PromApiError(`HTTP ${status}`, status)
  return e.data.data
}

/** A query_range answer's series (a matrix). */
export function readMatrix(data: unknown): Series[] {
  const m = matrix.safeParse(data)
  if (!m.success) throw new PromApiError('query_range answered without a matrix result', 200)
  return m.data.result.map((r) => ({ metric: r.metric, values: r.values.map(([t, v]) => [t, parseValue(v)]) }))
}

/** An instant query's answer as series of one point each (vector, scalar). */
export function readInstant(data: unknown): Series[] {
  const v = vector.safeParse(data)
  if (v.success) return v.data.result.map((r) => ({ metric: r.metric, values: [[r.value[0], parseValue(r.value[1])]] }))
  const s = scalar.safeParse(data)
  if (s.success) return [{ metric: {}, values: [[s.data.result[0], parseValue(s.data.result[1])]] }]
  const m = matrix.safeParse(data)
  if (m.success) return readMatrix(data)
  throw new PromApiError('query answered with an unknown result type', 200)
}

export interface PromApi {
  buildinfo(signal?: AbortSignal): Promise<unknown>
  query(query: string, timeS: number, signal?: AbortSignal): Promise<Series[]>
  queryRange(query: string, startS: number, endS: number, stepS: number, signal?: AbortSignal): Promise<Series[]>
  close(): Promise<void>
}

/** The base URL without its userinfo (which becomes a Basic Authorization header), for messages. */
export function shownUrl(u: URL): string {
  const c = new URL(u)
  c.username = ''
  c.password = ''
  return c.href
}

export function promClient(base: URL, timeoutMs: number): PromApi {
  const root = new URL(base)
  if (!root.pathname.endsWith('/')) root.pathname += '/'
  const auth =
    root.username || root.password
      ? `Basic ${Buffer.from(`${decodeURIComponent(root.username)}:${decodeURIComponent(root.password)}`).toString('base64')}`
      : undefined
  root.username = ''
  root.password = ''
  const agent = new Agent({ connections: 8, headersTimeout: timeoutMs, bodyTimeout: timeoutMs })

  async function call(path: string, form: Record<string, string> | undefined, signal?: AbortSignal): Promise<unknown> {
    const url = new URL(path, root)
    const bound = AbortSignal.timeout(timeoutMs)
    let res
    try {
      res = await request(url, {
        dispatcher: agent,
        method: form ? 'POST' : 'GET',
        headers: {
          accept: 'application/json',
          ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
          ...(auth ? { authorization: auth } : {})
        },
        body: form ? new URLSearchParams(form).toString() : undefined,
        signal: signal ? AbortSignal.any([signal, bound]) : bound
      })
    } catch (e) {
      const err = e as Error & { code?: string; cause?: { code?: string } }
      const why = bound.aborted
        ? `no answer within ${timeoutMs} ms`
        : (err.code ?? err.cause?.code ?? err.message.split('\n')[0])
      throw new PromUnreachable(why)
    }
    const body = await res.body.text()
    return readEnvelope(res.statusCode, body)
  }

  return {
    buildinfo: (signal) => call('api/v1/status/buildinfo', undefined, signal),
    async query(query, timeS, signal) {
      return readInstant(await call('api/v1/query', { query, time: String(timeS) }, signal))
    },
    async queryRange(query, startS, endS, stepS, signal) {
      const data = await call(
        'api/v1/query_range',
        { query, start: String(startS), end: String(endS), step: String(stepS) },
        signal
      )
      return readMatrix(data)
    },
    close: () => agent.close()
  }
}
