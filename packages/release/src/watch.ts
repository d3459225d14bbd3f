/**
 * auto-rollback's watch: probe `health-url` every `interval` for `watch` and
 * report the first breach — `unhealthy-threshold` consecutive failures, the
 * window's error rate above `max-error-rate`, or its p95 above `max-p95` or
 * `max-latency-ratio` × the baseline p95. A probe passes on a 2xx/3xx answer
 * within its timeout.
 *
 * Rates and p95 need a few samples to mean anything: they are judged once the
 * window holds MIN_WINDOW probes, and once more at the end of the watch.
 */
import { sleep } from '@gantry/core'
import { ProbeClient, latencyStats } from '@gantry/probe'

export const MIN_WINDOW = 5

export interface WatchConfig {
  url: URL
  durationMs: number
  intervalMs: number
  unhealthyThreshold: number
  maxErrorRate?: number
  maxP95Ms?: number
  baselineP95?: number
  maxLatencyRatio: number
  log?: (line: string) => void
  signal?: AbortSignal
}

export interface ProbeRecord {
  at: string
  ok: boolean
  status?: number
  latencyMs: number
  error?: string
}

export interface WatchResult {
  breach?: string
  probes: number
  failures: number
  errorRate: number
  p95?: number
  /** The p95 limit in force (the smaller of max-p95 and ratio × baseline). */
  p95Limit?: number
  elapsedMs: number
  /** The last probes (at most 50), for the report. */
  recent: ProbeRecord[]
}

export function probeTimeout(intervalMs: number): number {
  return Math.min(10_000, Math.max(1000, intervalMs))
}

/** Judges the window; undefined while healthy. */
export function judge(
  probes: readonly ProbeRecord[],
  consecutive: number,
  c: Pick<WatchConfig, 'unhealthyThreshold' | 'maxErrorRate' | 'maxP95Ms' | 'baselineP95' | 'maxLatencyRatio'>,
  final: boolean
): string | undefined {
  if (consecutive >= c.unhealthyThreshold) {
    const last = probes[probes.length - 1]
    return `${consecutive} consecutive failed probes (last: ${last?.error ?? `HTTP ${last?.status}`})`
  }
  if (probes.length === 0 || (!final && probes.length < MIN_WINDOW)) return undefined
  const failures = probes.filter((p) => !p.ok).length
  const rate = failures / probes.length
  if (c.maxErrorRate !== undefined && rate > c.maxErrorRate) {
    return `error rate ${(rate * 100).toFixed(1)}% (${failures}/${probes.length}) exceeds max-error-rate ${(c.maxErrorRate * 100).toFixed(1)}%`
  }
  const lat = probes.filter((p) => p.ok).map((p) => p.latencyMs)
  if (lat.length === 0) return undefined
  const p95 = latencyStats(lat).p95
  if (c.maxP95Ms !== undefined && p95 > c.maxP95Ms) return `p95 ${p95} ms exceeds max-p95 ${c.maxP95Ms} ms`
  if (c.baselineP95 !== undefined && p95 > c.maxLatencyRatio * c.baselineP95) {
    return `p95 ${p95} ms exceeds ${c.maxLatencyRatio} × the baseline p95 ${c.baselineP95} ms`
  }
  return undefined
}

export async function watch(c: WatchConfig): Promise<WatchResult> {
  const client = new ProbeClient({ connections: 2 })
  const probes: ProbeRecord[] = []
  const start = performance.now()
  let consecutive = 0
  let breach: string | undefined
  try {
    for (let n = 0; ; n++) {
      const due = start + n * c.intervalMs
      if (due - start > c.durationMs) break
      const wait = due - performance.now()
      if (wait > 0) await sleep(wait)
      if (c.signal?.aborted) break
      const left = c.durationMs - (performance.now() - start) + 1000
      const timeoutMs = Math.round(Math.min(probeTimeout(c.intervalMs), Math.max(1, left)))
      const r = await client.send({ url: c.url, timeoutMs, signal: c.signal })
      const ok = !r.error && r.status !== undefined && r.status >= 200 && r.status < 400
      probes.push({
        at: new Date().toISOString(),
        ok,
        status: r.status,
        latencyMs: Math.round(r.latencyMs * 100) / 100,
        error: r.error?.message
      })
      consecutive = ok ? 0 : consecutive + 1
      if (!ok) c.log?.(`probe ${n + 1}: ${r.error?.message ?? `HTTP ${r.status}`}`)
      breach = judge(probes, consecutive, c, false)
      if (breach) break
    }
    if (!breach) breach = judge(probes, consecutive, c, true)
  } finally {
    await client.close()
  }
  const lat = probes.filter((p) => p.ok).map((p) => p.latencyMs)
  const failures = probes.filter((p) => !p.ok).length
  const limits = [c.maxP95Ms, c.baselineP95 !== undefined ? c.maxLatencyRatio * c.baselineP95 : undefined].filter(
    (x): x is number => x !== undefined
  )
  return {
    breach,
    probes: probes.length,
    failures,
    errorRate: probes.length ? failures / probes.length : 0,
    p95: lat.length ? latencyStats(lat).p95 : undefined,
    p95Limit: limits.length ? Math.min(...limits) : undefined,
    elapsedMs: Math.round(performance.now() - start),
    recent: probes.slice(-50)
  }
}

/** After a rollback: is the restored release answering? Up to `attempts` probes, `gapMs` apart. */
export async function checkHealth(
  url: URL,
  attempts: number,
  gapMs: number
): Promise<{ ok: boolean; detail: string; attempts: number }> {
  const client = new ProbeClient({ connections: 1 })
  let detail = ''
  try {
    for (let n = 1; n <= attempts; n++) {
      if (n > 1) await sleep(gapMs)
      const r = await client.send({ url, timeoutMs: probeTimeout(gapMs) })
      if (!r.error && r.status !== undefined && r.status >= 200 && r.status < 400) {
        return { ok: true, detail: `HTTP ${r.status} in ${Math.round(r.latencyMs)} ms`, attempts: n }
      }
      detail = r.error?.message ?? `HTTP ${r.status}`
    }
  } finally {
    await client.close()
  }
  return { ok: false, detail, attempts }
}
