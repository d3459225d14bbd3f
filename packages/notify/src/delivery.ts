/**
 * Delivery policy shared by every channel: a bound on each request, retries
 * with exponential backoff and jitter (retry() from core), and `429` +
 * `Retry-After` honoured — but only up to a bound, because a step that waits
 * for minutes on a chat service delays the deploy it reports on.
 */
import { backoffDelay, retry } from '@gantry/core'

export interface DeliveryPolicy {
  /** Bound on one request (connect, headers and body). */
  timeoutMs: number
  /** Retries after the first attempt. */
  retries: number
  /** Backoff base and cap, ms. */
  minDelayMs: number
  maxDelayMs: number
  /** The longest Retry-After we wait for; a longer one fails the channel at once. */
  maxRetryAfterMs: number
  random?: () => number
}

export const defaultPolicy: DeliveryPolicy = {
  timeoutMs: 10_000,
  retries: 3,
  minDelayMs: 500,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 30_000
}

/** A failed attempt, saying whether another one may help and when. */
export class DeliveryError extends Error {
  override name = 'DeliveryError'
  constructor(
    message: string,
    readonly retryable: boolean,
    /** Set for HTTP failures. */
    readonly status?: number,
    /** What the server asked for (Retry-After), ms. */
    readonly retryAfterMs?: number
  ) {
    super(message)
  }
}

export interface Delivered<T> {
  value: T
  attempts: number
}

/** Thrown when every attempt failed: the last error plus how many attempts were made. */
export class DeliveryFailed extends Error {
  override name = 'DeliveryFailed'
  constructor(
    message: string,
    readonly attempts: number
  ) {
    super(message)
  }
}

/**
 * Runs `attempt` under the policy. A 429 whose Retry-After is within the
 * bound is waited out exactly (jitter would only risk arriving early); one
 * beyond the bound ends the retries with a message that says so.
 */
export async function deliver<T>(
  attempt: (n: number) => Promise<T>,
  policy: DeliveryPolicy,
  onRetry?: (error: DeliveryError, attempt: number, delayMs: number) => void
): Promise<Delivered<T>> {
  let attempts = 0
  try {
    const value = await retry(
      async (n) => {
        attempts = n + 1
        return attempt(n)
      },
      {
        retries: policy.retries,
        minDelay: policy.minDelayMs,
        maxDelay: Math.max(policy.maxDelayMs, policy.maxRetryAfterMs),
        jitter: 'equal',
        random: policy.random,
        // Always a number: the server's Retry-After, or our own backoff with
        // its own (smaller) cap, so one maxDelay need not serve both.
        retryable: (e, n) => {
          if (!(e instanceof DeliveryError) || !e.retryable) return false
          if (e.retryAfterMs !== undefined) {
            if (e.retryAfterMs > policy.maxRetryAfterMs) return false
            return e.retryAfterMs
          }
          return backoffDelay(n, {
            retries: policy.retries,
            minDelay: policy.minDelayMs,
            maxDelay: policy.maxDelayMs,
            jitter: 'equal',
            random: policy.random
          })
        },
        onRetry: (e, n, delay) => onRetry?.(e as DeliveryError, n, delay)
      }
    )
    return { value, attempts }
  } catch (e) {
    let message = e instanceof Error ? e.message : String(e)
    if (e instanceof DeliveryError && e.retryAfterMs !== undefined && e.retryAfterMs > policy.maxRetryAfterMs) {
      message += ` (Retry-After ${Math.ceil(e.retryAfterMs / 1000)} s exceeds the ${Math.round(policy.maxRetryAfterMs / 1000)} s bound)`
    } else if (attempts > 1) {
      message += ` (after ${attempts} attempts)`
    }
    throw new DeliveryFailed(message, attempts)
  }
}

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined
  const v = value.trim()
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000)
  const t = Date.parse(v)
  if (Number.isNaN(t)) return undefined
  return Math.max(0, t - now)
}

/** The classification every HTTP channel shares: 429 and 5xx retry, other 4xx do not. */
export function httpError(status: number, detail: string, retryAfter?: string): DeliveryError {
  const text = detail ? `HTTP ${status}: ${detail}` : `HTTP ${status}`
  if (status === 429) return new DeliveryError(text, true, status, parseRetryAfter(retryAfter) ?? undefined)
  return new DeliveryError(text, status >= 500 || status === 408, status)
}
