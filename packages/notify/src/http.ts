/**
 * One bounded JSON POST on undici (through probe's exchange): a 2xx comes back
 * as the response, anything else is thrown as a DeliveryError saying whether a
 * retry may help. Error texts never contain the URL (webhook URLs are secrets).
 */
import type { Dispatcher } from 'undici'
import { classifyNetworkError, errorCodes } from '@gantry/core'
import { exchange, undiciTransport } from '@gantry/probe'
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
  // The request, the bound, the timing and the capped body read are probe's; the failure wording is ours.
  const send = undiciTransport(o.dispatcher)
  let failure: unknown
  const res = await exchange(
    (r, signal) =>
      send(r, signal).catch((e: unknown) => {
        failure = e
        throw e
      }),
    {
      url,
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'gantry-notify', ...o.headers },
      body,
      timeoutMs: o.timeoutMs,
      maxBodyBytes: MAX_BODY
    }
  )
  if (res.error) {
    if (res.error.kind === 'timeout') throw new DeliveryError(`timed out after ${o.timeoutMs} ms`, true)
    throw new DeliveryError(networkMessage(failure), true)
  }
  const status = res.status as number
  if (status >= 200 && status < 300) return { status, headers: res.headers, text: res.body }
  throw httpError(status, brief(res.body), res.headers['retry-after'])
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
