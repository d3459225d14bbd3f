/**
 * auto-rollback's watch: probe every `health-url` every `interval` for `watch`
 * and report the first breach — on any URL, `unhealthy-threshold` consecutive
 * failures, the window's error rate above `max-error-rate`, or its p95 above
 * `max-p95` or `max-latency-ratio` × the baseline p95 (the baseline's p95 for
 * that URL, as health-gate reads it). A probe passes on a 2xx/3xx answer
 * within its timeout.
 *
 * Each URL is judged on its own window: one failing endpoint among healthy
 * ones must not be averaged away. With several URLs a breach names its URL.
 *
 * Rates and p95 need a few samples to mean anything: they are judged once the
 * window holds MIN_WINDOW probes, and once more at the end of the watch.
 */
import { formatDuration, sleep, type Progress } from '@gantry/core'
import { ProbeClient, baselineP95, displayUrl, latencyStats, type Baseline, type ProbeResponse } from '@gantry/probe'

export const MIN_WINDOW = 5

export interface WatchConfig {
  urls: readonly URL[]
  durationMs: number
  intervalMs: number
  unhealthyThreshold: number
  maxErrorRate?: number
  maxP95Ms?: number
  /** An earlier health-gate report: per URL its p95 for that URL, else its overall p95. */
  baseline?: Baseline
  maxLatencyRatio: number
  log?: (line: string) => void
  /** Progress lines: each URL's state (ok, failing: why) on every change, and at least every 10 s. */
  progress?: Progress
  signal?: AbortSignal
}

export interface ProbeRecord {
  at: string
  /** The URL probed, as shown (credentials removed). */
  url?: string
  ok: boolean
  status?: number
  latencyMs: number
  error?: string
}

/** One URL's window. */
export interface UrlWatch {
  url: string
  /** This URL's breach, in judge's words (without the URL). */
  breach?: string
  probes: number
  failures: number
  errorRate: number
  p95?: number
  p95Limit?: number
  baselineP95?: number
}

export interface WatchResult {
  /** The first breach; with several URLs, prefixed with the URL that breached. */
  breach?: string
  /** probes … p95Limit: over every URL (with one URL, that URL's window). */
  probes: number
  failures: number
  errorRate: number
  p95?: number
  /** The p95 limit in force (the smaller of max-p95 and ratio × baseline). */
  p95Limit?: number
  elapsedMs: number
  /** Per URL, in the order given. */
  urls: UrlWatch[]
  /** The last probes (at most 50, of every URL), for the report. */
  recent: ProbeRecord[]
}

/**
 * A watch that cannot see a breach is an input error, not a clean watch: one
 * longer interval than watch sent a single probe and reported clean, and a
 * watch with room for fewer than `unhealthy-threshold` probes can never see
 * that many consecutive failures. The watch probes at start + k × interval
 * while k × interval ≤ watch, so it holds ⌊watch ÷ interval⌋ + 1 probes per URL.
 * Returns the one-line message (naming both inputs), or undefined when fine.
 */
export function watchTimingError(watchMs: number, intervalMs: number, unhealthyThreshold: number): string | undefined {
  if (watchMs <= 0) return undefined
  const w = formatDuration(watchMs)
  const iv = formatDuration(intervalMs)
  if (intervalMs > watchMs) {
    return `Input 'interval' has invalid value '${iv}': expected a duration no longer than watch ('${w}'); a watch shorter than its interval sends one probe and cannot see a breach`
  }
  const need = (unhealthyThreshold - 1) * intervalMs
  if (watchMs < need) {
    return `Input 'watch' has invalid value '${w}': expected at least ${formatDuration(need)}, room for ${unhealthyThreshold} probes (unhealthy-threshold) every ${iv} (interval); a shorter watch cannot see ${unhealthyThreshold} consecutive failures`
  }
  return undefined
}

/** A probe passes on a 2xx/3xx answer within its timeout. */
const passes = (r: ProbeResponse): boolean => !r.error && r.status !== undefined && r.status >= 200 && r.status < 400

export function probeTimeout(intervalMs: number): number {
  return Math.min(10_000, Math.max(1000, intervalMs))
}

/** Judges one URL's window (with that URL's baseline p95); undefined while healthy. */
export function judge(
  probes: readonly ProbeRecord[],
  consecutive: number,
  c: Pick<WatchConfig, 'unhealthyThreshold' | 'maxErrorRate' | 'maxP95Ms' | 'maxLatencyRatio'> & {
    baselineP95?: number
  },
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

interface Window {
  url: URL
  shown: string
  baselineP95?: number
  probes: ProbeRecord[]
  consecutive: number
  breach?: string
}

export async function watch(c: WatchConfig): Promise<WatchResult> {
  const windows: Window[] = c.urls.map((url) => {
    const shown = displayUrl(url)
    return { url, shown, baselineP95: c.baseline && baselineP95(c.baseline, shown), probes: [], consecutive: 0 }
  })
  const several = windows.length > 1
  // Every URL is probed at each tick, side by side, so a tick takes one probe's time.
  const client = new ProbeClient({ connections: Math.max(2, windows.length) })
  const all: ProbeRecord[] = []
  const start = performance.now()
  const judgeAll = (final: boolean) => {
    for (const w of windows) w.breach = judge(w.probes, w.consecutive, { ...c, baselineP95: w.baselineP95 }, final)
    return windows.find((w) => w.breach)
  }
  let breached: Window | undefined
  try {
    for (let n = 0; ; n++) {
      // n × interval, not due − start: float error made the last probe (k × interval = watch) drop.
      if (n * c.intervalMs > c.durationMs) break
      const due = start + n * c.intervalMs
      const wait = due - performance.now()
      if (wait > 0) await sleep(wait)
      if (c.signal?.aborted) break
      const left = c.durationMs - (performance.now() - start) + 1000
      const timeoutMs = Math.round(Math.min(probeTimeout(c.intervalMs), Math.max(1, left)))
      await Promise.all(
        windows.map(async (w) => {
          const r = await client.send({ url: w.url, timeoutMs, signal: c.signal })
          const ok = passes(r)
          const p: ProbeRecord = {
            at: new Date().toISOString(),
            url: w.shown,
            ok,
            status: r.status,
            latencyMs: Math.round(r.latencyMs * 100) / 100,
            error: r.error?.message
          }
          w.probes.push(p)
          all.push(p)
          w.consecutive = ok ? 0 : w.consecutive + 1
          if (!ok) c.log?.(`probe ${n + 1}${several ? ` ${w.shown}` : ''}: ${r.error?.message ?? `HTTP ${r.status}`}`)
          c.progress?.update(
            w.shown,
            ok ? 'ok' : `failing: ${r.error?.message ?? `HTTP ${r.status}`}`,
            `probe ${n + 1}, ${w.consecutive} failed in a row`
          )
        })
      )
      breached = judgeAll(false)
      if (breached) break
    }
    if (!breached) breached = judgeAll(true)
  } finally {
    await client.close()
  }
  const urls = windows.map((w) => ({
    url: w.shown,
    breach: w.breach,
    ...stats(w.probes, limit(c, w.baselineP95)),
    baselineP95: w.baselineP95
  }))
  const limits = urls.map((u) => u.p95Limit).filter((x): x is number => x !== undefined)
  return {
    breach: breached?.breach && (several ? `${breached.shown}: ${breached.breach}` : breached.breach),
    ...stats(all, limits.length ? Math.min(...limits) : undefined),
    elapsedMs: Math.round(performance.now() - start),
    urls,
    recent: all.slice(-50)
  }
}

/** The p95 limit in force for one URL: the smaller of max-p95 and ratio × its baseline p95. */
function limit(c: WatchConfig, baseline: number | undefined): number | undefined {
  const limits = [c.maxP95Ms, baseline !== undefined ? c.maxLatencyRatio * baseline : undefined].filter(
    (x): x is number => x !== undefined
  )
  return limits.length ? Math.min(...limits) : undefined
}

function stats(probes: readonly ProbeRecord[], p95Limit: number | undefined) {
  const lat = probes.filter((p) => p.ok).map((p) => p.latencyMs)
  const failures = probes.filter((p) => !p.ok).length
  return {
    probes: probes.length,
    failures,
    errorRate: probes.length ? failures / probes.length : 0,
    p95: lat.length ? latencyStats(lat).p95 : undefined,
    p95Limit
  }
}

export interface HealthCheck {
  ok: boolean
  /** With one URL, its detail; with several, each URL's, `url: detail; …`. */
  detail: string
  attempts: number
  /** Per URL, in the order given. */
  urls: Array<{ url: string; ok: boolean; detail: string; attempts: number }>
}

/**
 * After a rollback: is the restored release answering on every URL? Per URL
 * (side by side), up to `attempts` probes, `gapMs` apart; one pass is enough.
 */
export async function checkHealth(urls: readonly URL[], attempts: number, gapMs: number): Promise<HealthCheck> {
  const client = new ProbeClient({ connections: Math.max(1, urls.length) })
  try {
    const each = await Promise.all(
      urls.map(async (url) => ({ url: displayUrl(url), ...(await checkOne(client, url, attempts, gapMs)) }))
    )
    return {
      ok: each.every((u) => u.ok),
      detail: each.length === 1 ? each[0]!.detail : each.map((u) => `${u.url}: ${u.detail}`).join('; '),
      attempts: Math.max(0, ...each.map((u) => u.attempts)),
      urls: each
    }
  } finally {
    await client.close()
  }
}

async function checkOne(
  client: ProbeClient,
  url: URL,
  attempts: number,
  gapMs: number
): Promise<{ ok: boolean; detail: string; attempts: number }> {
  let detail = ''
  for (let n = 1; n <= attempts; n++) {
    if (n > 1) await sleep(gapMs)
    const r = await client.send({ url, timeoutMs: probeTimeout(gapMs) })
    if (passes(r)) {
      return { ok: true, detail: `HTTP ${r.status} in ${Math.round(r.latencyMs)} ms`, attempts: n }
    }
    detail = r.error?.message ?? `HTTP ${r.status}`
  }
  return { ok: false, detail, attempts }
}

/** The step's failure when the restored release is unhealthy too: names the URL(s) that failed. */
export function unhealthyAfterRollback(to: string, h: Pick<HealthCheck, 'urls'>): string {
  const bad = h.urls.filter((u) => !u.ok)
  if (bad.length === 1) return `rolled back to ${to}, but ${bad[0]!.url} is not healthy either: ${bad[0]!.detail}`
  const each = bad.map((u) => `${u.url}: ${u.detail}`).join('; ')
  return `rolled back to ${to}, but ${bad.length} of ${h.urls.length} URLs are not healthy either: ${each}`
}
