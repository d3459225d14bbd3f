/** Retry with exponential backoff and full jitter, bounded in attempts and delay. */
export interface RetryOptions {
  /** Retries after the first attempt. */
  retries: number
  /** Base delay in ms (attempt n waits up to base * factor^n). */
  minDelay?: number
  maxDelay?: number
  factor?: number
  /** 'full' picks uniformly in [0, d]; 'equal' in [d/2, d]; 'none' waits d. */
  jitter?: 'full' | 'equal' | 'none'
  /**
   * Decides whether an error is retried; a number is a delay the server asked
   * for (Retry-After), used instead of the computed backoff (capped at maxDelay).
   */
  retryable?: (error: unknown, attempt: number) => boolean | number
  signal?: AbortSignal
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void
  random?: () => number
}

export function backoffDelay(attempt: number, o: RetryOptions): number {
  const base = o.minDelay ?? 200
  const max = o.maxDelay ?? 10_000
  const d = Math.min(max, base * Math.pow(o.factor ?? 2, attempt))
  const r = (o.random ?? Math.random)()
  switch (o.jitter ?? 'equal') {
    case 'full':
      return Math.round(r * d)
    case 'none':
      return d
    default:
      return Math.round(d / 2 + (r * d) / 2)
  }
}

export async function retry<T>(fn: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt)
    } catch (e) {
      if (attempt >= o.retries || o.signal?.aborted) throw e
      const verdict = o.retryable ? o.retryable(e, attempt) : true
      if (verdict === false) throw e
      const delay = typeof verdict === 'number' ? Math.min(verdict, o.maxDelay ?? 10_000) : backoffDelay(attempt, o)
      o.onRetry?.(e, attempt + 1, delay)
      await sleep(delay, o.signal)
    }
  }
}

/** A timer-based wait that an AbortSignal can cut short. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve()
    const t = setTimeout(done, ms)
    function done(): void {
      clearTimeout(t)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}
