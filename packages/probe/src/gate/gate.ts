/**
 * The health gate: every URL is polled until healthy (in parallel), then
 * sampled; a URL passes when it became healthy and its sample is within the
 * error-rate, p95 and baseline limits. The gate passes when every URL passes.
 */
import { formatDuration, safeUrl, type Progress } from '@gantry/core'
import { ProbeClient } from '../undici-client.js'
import { evaluate } from '../health-policy.js'
import { latencyStats } from '../stats.js'
import { baselineP95, type Baseline } from './baseline.js'
import type { Expectation } from './check.js'
import { pollUntilHealthy } from './poll.js'
import { followingRedirects } from './redirect.js'
import { sample } from './sample.js'

export interface GateConfig {
  urls: URL[]
  method: string
  headers: Array<[string, string]>
  expect: Expectation
  timeoutMs: number
  intervalMs: number
  maxWaitMs: number
  threshold: number
  samples: number
  concurrency: number
  maxErrorRate: number
  maxP95Ms?: number
  baseline?: Baseline
  maxLatencyRatio: number
  log?: (line: string) => void
  /** Progress lines (@gantry/core progress): each URL's state on every change, and at least every 10 s. */
  progress?: Progress
}

export interface UrlSample {
  count: number
  errors: number
  errorRate: number
  p50: number | null
  p95: number | null
  p99: number | null
  min: number | null
  max: number | null
  mean: number | null
  statuses: Record<string, number>
  failures: Record<string, number>
  durationMs: number
}

export interface UrlResult {
  url: string
  ok: boolean
  healthy: boolean
  attempts: number
  timeToHealthyMs: number | null
  lastReason: string | null
  sample: UrlSample | null
  baselineP95: number | null
  /** Why the URL failed the gate; empty when it passed. */
  reasons: string[]
}

export interface GateResult {
  ok: boolean
  timeToHealthyMs: number | null
  /** null when no sample request was sent (the gate failed before sampling, or samples: 0): never 0 beside p50 null. */
  errorRate: number | null
  p50: number | null
  p95: number | null
  p99: number | null
  urls: UrlResult[]
}

/** The URL as shown in logs and reports: no userinfo, credential query values as *** (@gantry/core safeUrl). */
export function displayUrl(u: URL): string {
  return safeUrl(u)
}

const num = (v: number): number | null => (Number.isFinite(v) ? v : null)

export async function runGate(cfg: GateConfig, signal?: AbortSignal): Promise<GateResult> {
  // Redirects are followed (at most 5) and the final answer is judged: a 301 loop must not pass 200-399.
  const client = followingRedirects(new ProbeClient({ connections: Math.max(cfg.concurrency, 1) }))
  const log = cfg.log ?? (() => undefined)
  const allLatencies: number[] = []
  let totalSamples = 0
  let totalErrors = 0
  try {
    const urls = await Promise.all(
      cfg.urls.map(async (u): Promise<UrlResult> => {
        const shown = displayUrl(u)
        const request = { url: u, method: cfg.method, headers: cfg.headers, timeoutMs: cfg.timeoutMs }
        const poll = await pollUntilHealthy(client, {
          request,
          expect: cfg.expect,
          intervalMs: cfg.intervalMs,
          maxWaitMs: cfg.maxWaitMs,
          threshold: cfg.threshold,
          signal,
          onAttempt: (n, pass, reason) => {
            log(`${shown} poll ${n}: ${pass ? 'pass' : `fail (${reason})`}`)
            cfg.progress?.update(shown, pass ? 'passing' : `failing: ${reason}`, `attempt ${n}`)
          }
        })
        const result: UrlResult = {
          url: shown,
          ok: false,
          healthy: poll.healthy,
          attempts: poll.attempts,
          timeToHealthyMs: poll.timeToHealthyMs ?? null,
          lastReason: poll.lastReason ?? null,
          sample: null,
          baselineP95: cfg.baseline ? (baselineP95(cfg.baseline, shown) ?? null) : null,
          reasons: []
        }
        if (!poll.healthy) {
          result.reasons.push(
            `not healthy after ${poll.attempts} attempts (max-wait ${formatDuration(cfg.maxWaitMs)}): ${poll.lastReason}`
          )
          return result
        }
        log(`${shown} healthy after ${poll.timeToHealthyMs} ms; sampling ${cfg.samples} requests`)
        cfg.progress?.update(shown, 'healthy, sampling', `${cfg.samples} requests at concurrency ${cfg.concurrency}`)
        if (cfg.samples > 0) {
          const s = await sample(client, request, cfg.expect, cfg.samples, cfg.concurrency, signal)
          // A loop, not push(...): `samples` may be up to 1,000,000, past the spread argument limit.
          for (const v of s.latencies) allLatencies.push(v)
          totalSamples += s.count
          totalErrors += s.errors
          result.sample = {
            count: s.count,
            errors: s.errors,
            errorRate: s.errorRate,
            p50: num(s.latency.p50),
            p95: num(s.latency.p95),
            p99: num(s.latency.p99),
            min: num(s.latency.min),
            max: num(s.latency.max),
            mean: num(s.latency.mean),
            statuses: s.statuses,
            failures: s.failures,
            durationMs: s.durationMs
          }
          result.reasons.push(
            ...evaluate(s.window, {
              expectStatus: (st) => cfg.expect.status.has(st),
              body: cfg.expect.body,
              maxErrorRate: cfg.maxErrorRate,
              maxP95Ms: cfg.maxP95Ms,
              baselineP95Ms: result.baselineP95 ?? undefined,
              maxLatencyRatio: cfg.maxLatencyRatio
            })
          )
        }
        result.ok = result.reasons.length === 0
        return result
      })
    )
    const agg = latencyStats(allLatencies)
    const healthyTimes = urls.map((u) => u.timeToHealthyMs)
    return {
      ok: urls.every((u) => u.ok),
      timeToHealthyMs: urls.every((u) => u.healthy) ? Math.max(...(healthyTimes as number[])) : null,
      errorRate: totalSamples === 0 ? null : totalErrors / totalSamples,
      p50: num(agg.p50),
      p95: num(agg.p95),
      p99: num(agg.p99),
      urls
    }
  } finally {
    await client.close()
  }
}

/**
 * health-gate's defaults for what a caller that gates without those inputs
 * (deploy-atomic's rolling host gates) does not let the user set: one place,
 * which the contract test checks against health-gate's action.yml.
 */
export const GATE_DEFAULTS = {
  timeoutMs: 5_000,
  threshold: 3,
  concurrency: 4,
  maxErrorRate: 0,
  maxLatencyRatio: 2
} as const satisfies Partial<GateConfig>
