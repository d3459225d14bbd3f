/**
 * auto-rollback's watch: probe every `health-url` every `interval` for `watch`
 * and report the first breach — on any URL, `unhealthy-threshold` consecutive
 * failures, or what the one health policy (@gantry/probe evaluate, as
 * health-gate judges its sample) finds in the window: the error rate above
 * `max-error-rate`, p95 above `max-p95` or `max-latency-ratio` × the baseline
 * p95 (the baseline's p95 for that URL, as health-gate reads it).
 *
 * A probe passes as a health-gate request does: redirects followed, the final
 * status in `expect-status` (default 200-399) and the body matching
 * `expect-body`, within its timeout. Its failure is named in the gate's words
 * (sampleFailure: `status 500`, `body did not match /ok/`, `timeout`).
 *
 * Each URL is judged on its own window: one failing endpoint among healthy
 * ones must not be averaged away, and a failure on any URL counts toward that
 * URL's consecutive failures. With several URLs a breach names its URL.
 *
 * Rates and p95 need a few samples to mean anything: they are judged once the
 * window holds MIN_WINDOW probes, and once more at the end of the watch.
 */
import { StatusSet, formatDuration, sleep, type Progress } from '@gantry/core'
import {
  P95_UNKNOWN,
  ProbeClient,
  baselineP95,
  displayUrl,
  evaluate,
  followingRedirects,
  healthSample,
  latencyStats,
  sampleFailure,
  type Baseline,
  type Expectation,
  type HealthPolicy,
  type HealthSample,
  type HttpClient
} from '@gantry/probe'

export const MIN_WINDOW = 5

/** health-gate's default expectation: a 2xx/3xx final status, any body. */
export const DEFAULT_EXPECT: Expectation = { status: StatusSet.parse('200-399') }

export interface WatchConfig {
  urls: readonly URL[]
  /** What a probe must get (expect-status, expect-body); default DEFAULT_EXPECT. */
  expect?: Expectation
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
  /** The transport error's message (timeout, refused…), when no response came. */
  error?: string
  /** Why the probe failed, in the health policy's words; absent when it passed. */
  reason?: string
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

export function probeTimeout(intervalMs: number): number {
  return Math.min(10_000, Math.max(1000, intervalMs))
}

export type JudgeConfig = Pick<WatchConfig, 'unhealthyThreshold' | 'maxErrorRate' | 'maxP95Ms' | 'maxLatencyRatio'> & {
  expect?: Expectation
  baselineP95?: number
}

/** The health policy for one URL's window: health-gate's, with the watch's limits. */
export function watchPolicy(c: JudgeConfig): HealthPolicy {
  const expect = c.expect ?? DEFAULT_EXPECT
  return {
    expectStatus: (s) => expect.status.has(s),
    body: expect.body,
    // No max-error-rate: no limit (a rate is never above 1).
    maxErrorRate: c.maxErrorRate ?? 1,
    maxP95Ms: c.maxP95Ms,
    baselineP95Ms: c.baselineP95,
    maxLatencyRatio: c.maxLatencyRatio
  }
}

/** Judges one URL's window (with that URL's baseline p95); undefined while healthy. */
export function judge(
  window: readonly HealthSample[],
  consecutive: number,
  c: JudgeConfig,
  final: boolean
): string | undefined {
  const policy = watchPolicy(c)
  if (consecutive >= c.unhealthyThreshold) {
    const last = window[window.length - 1]
    return `${consecutive} consecutive failed probes (last: ${last && sampleFailure(last, policy)})`
  }
  if (window.length === 0 || (!final && window.length < MIN_WINDOW)) return undefined
  // A window with no answer at all is unhealthy-threshold's to judge (and max-error-rate's, if set):
  // the policy's "p95 unknown" would otherwise roll back before the consecutive failures asked for.
  return evaluate(window, policy).find((r) => r !== P95_UNKNOWN)
}

interface Window {
  url: URL
  shown: string
  baselineP95?: number
  probes: ProbeRecord[]
  samples: HealthSample[]
  consecutive: number
  breach?: string
}

export async function watch(c: WatchConfig): Promise<WatchResult> {
  const windows: Window[] = c.urls.map((url) => {
    const shown = displayUrl(url)
    const base = c.baseline && baselineP95(c.baseline, shown)
    return { url, shown, baselineP95: base, probes: [], samples: [], consecutive: 0 }
  })
  const several = windows.length > 1
  // Per-probe verdicts need only the expectation: the limits are the window's.
  const policy = watchPolicy(c)
  const expect = c.expect ?? DEFAULT_EXPECT
  // Every URL is probed at each tick, side by side, so a tick takes one probe's time.
  // Redirects are followed and the final answer judged, as health-gate does.
  const client = followingRedirects(new ProbeClient({ connections: Math.max(2, windows.length) }))
  const all: ProbeRecord[] = []
  const start = performance.now()
  const judgeAll = (final: boolean) => {
    for (const w of windows) w.breach = judge(w.samples, w.consecutive, { ...c, baselineP95: w.baselineP95 }, final)
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
          const s = healthSample(r, expect)
          const reason = sampleFailure(s, policy)
          const ok = reason === undefined
          const p: ProbeRecord = {
            at: new Date().toISOString(),
            url: w.shown,
            ok,
            status: r.status,
            latencyMs: Math.round(r.latencyMs * 100) / 100,
            error: r.error?.message,
            reason
          }
          w.probes.push(p)
          w.samples.push(s)
          all.push(p)
          w.consecutive = ok ? 0 : w.consecutive + 1
          // The debug line keeps the transport's own message (timed out after 1000 ms), the kind's detail.
          if (!ok) c.log?.(`probe ${n + 1}${several ? ` ${w.shown}` : ''}: ${r.error?.message ?? reason}`)
          c.progress?.update(
            w.shown,
            ok ? 'ok' : `failing: ${reason}`,
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
  // p95 over every answer, failing statuses included, as the policy computes it.
  const lat = probes.filter((p) => p.error === undefined && p.status !== undefined).map((p) => p.latencyMs)
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
 * A pass is what the watch counts as one (the same expectation, redirects followed).
 */
export async function checkHealth(
  urls: readonly URL[],
  attempts: number,
  gapMs: number,
  expect: Expectation = DEFAULT_EXPECT
): Promise<HealthCheck> {
  const client = followingRedirects(new ProbeClient({ connections: Math.max(1, urls.length) }))
  try {
    const each = await Promise.all(
      urls.map(async (url) => ({ url: displayUrl(url), ...(await checkOne(client, url, attempts, gapMs, expect)) }))
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
  client: HttpClient,
  url: URL,
  attempts: number,
  gapMs: number,
  expect: Expectation
): Promise<{ ok: boolean; detail: string; attempts: number }> {
  const policy = watchPolicy({ unhealthyThreshold: attempts, maxLatencyRatio: 1, expect })
  let detail = ''
  for (let n = 1; n <= attempts; n++) {
    if (n > 1) await sleep(gapMs)
    const r = await client.send({ url, timeoutMs: probeTimeout(gapMs) })
    const failure = sampleFailure(healthSample(r, expect), policy)
    if (failure === undefined) {
      return { ok: true, detail: `HTTP ${r.status} in ${Math.round(r.latencyMs)} ms`, attempts: n }
    }
    detail = failure
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
