/**
 * One bounded JSON POST on undici: a 2xx comes back as the response, anything
 * else is thrown as a DeliveryError saying whether a retry may help. Error
 * texts never contain the URL (webhook URLs are secrets).
 */
import { request, type Dispatcher } from 'undici'
import { classifyNetworkError, errorCodes } from '@gantry/core'
import { DeliveryError, httpError } from './delivery.js'

export interface JsonResponse {
  status: number
  headers: Record<string, string>
  text: string
}

export interface PostOptions {
  headers?: Record<string, string>
  timeoutMs: number
  dispatcher?: Dispatcher
}

/** Reads at most this much of a response: chat services answer with a few bytes. */
const MAX_BODY = 64 * 1024

export async function postJson(url: string, body: string, o: PostOptions): Promise<JsonResponse> {
  const timeout = AbortSignal.timeout(o.timeoutMs)
  try {
    const res = await request(url, {
      method: 'POST',
      dispatcher: o.dispatcher,
      headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'gantry-notify', ...o.headers },
      body,
      signal: timeout,
      headersTimeout: o.timeoutMs + 1000,
      bodyTimeout: o.timeoutMs + 1000
    })
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of res.body) {
      const buf = chunk as Buffer
      if (size < MAX_BODY) chunks.push(buf)
      size += buf.length
    }
    const text = Buffer.concat(chunks).toString('utf8').slice(0, MAX_BODY)
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = String(v)
    if (res.statusCode >= 200 && res.statusCode < 300) return { status: res.statusCode, headers, text }
    throw httpError(res.statusCode, brief(text), headers['retry-after'])
  } catch (e) {
    if (e instanceof DeliveryError) throw e
    if (timeout.aborted) throw new DeliveryError(`timed out after ${o.timeoutMs} ms`, true)
    throw new DeliveryError(networkMessage(e), true)
  }
}

/** The first line of an error body, short: enough to say why, not a page of HTML. */
export function brief(text: string): string {
  const one = text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
  return one.length > 200 ? `${one.slice(0, 197)}...` : one
}

function networkMessage(e: unknown): string {
  const codes = errorCodes(e)
  switch (classifyNetworkError(e)) {
    case 'refused':
      return 'connection refused'
    case 'dns':
      return 'DNS lookup failed'
    case 'reset':
      return 'connection reset'
    case 'tls':
      return `TLS error (${codes.join(', ')})`
    default:
      return codes[0] ? `network error (${codes[0]})` : 'network error'
  }
}
