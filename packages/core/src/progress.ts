/**
 * Progress lines for waits and long phases (DESIGN, conventions): one line per
 * key (a URL, a host) when its state changes, and at least every `periodMs`
 * while nothing changes, so a user watching a five-minute wait is never left
 * with silence; never a line per poll.
 */

export interface ProgressOptions {
  /** The longest silence for a key (10 s). */
  periodMs?: number
  now?: () => number
  /** Runs `tick` every `ms`; returns a stop function. Tests pass a manual one. */
  every?: (tick: () => void, ms: number) => () => void
}

export interface Progress {
  /** The key's state now (a change prints at once) and what to say of it. */
  update(key: string, state: string, detail: string): void
  stop(): void
}

const realEvery = (tick: () => void, ms: number): (() => void) => {
  const t = setInterval(tick, ms)
  t.unref()
  return () => clearInterval(t)
}

export function progress(write: (line: string) => void, o: ProgressOptions = {}): Progress {
  const periodMs = o.periodMs ?? 10_000
  const now = o.now ?? (() => performance.now())
  const start = now()
  const keys = new Map<string, { state: string; detail: string; printed: number }>()
  const elapsed = () => `${((now() - start) / 1000).toFixed(1)} s elapsed`
  const print = (key: string, k: { state: string; detail: string }) =>
    write(`${key}: ${k.state} (${k.detail}; ${elapsed()})`)
  const stopTimer = (o.every ?? realEvery)(
    () => {
      const t = now()
      for (const [key, k] of keys)
        if (t - k.printed >= periodMs) {
          k.printed = t
          print(key, k)
        }
    },
    Math.max(250, Math.floor(periodMs / 4))
  )
  return {
    update(key, state, detail) {
      const k = keys.get(key)
      if (!k || k.state !== state) {
        const entry = { state, detail, printed: now() }
        keys.set(key, entry)
        print(key, entry)
      } else k.detail = detail
    },
    stop: stopTimer
  }
}
