/**
 * One health policy: decides whether a window of samples is healthy, in one
 * wording (health-gate's), so every action that judges health says the same.
 */
import { formatDuration } from '@gantry/core'
import { latencyStats } from './stats.js'

/** One probe's outcome: a response (status, latency) or a transport error. */
export interface HealthSample {
  status?: number
  latencyMs: number
  /** Transport error kind ("timeout", "reset"…); set when no response came. */
  error?: string
  /** Whether the body matched the policy's regex; undefined when not checked. */
  bodyMatch?: boolean
}

export interface HealthPolicy {
  /** Statuses counted healthy (default 200-399). */
  expectStatus?: (status: number) => boolean
  /** The body regex the samples' bodyMatch was checked against (named in the reason). */
  body?: RegExp
  maxErrorRate: number
  maxP95Ms?: number
  baselineP95Ms?: number
  maxLatencyRatio: number
}

/** The reason evaluate gives when nothing in the window answered (callers with their own rule for that may drop it). */
export const P95_UNKNOWN = 'no sample request got a response, so p95 is unknown'

const defaultStatus = (s: number): boolean => s >= 200 && s < 400

/** Why a sample fails, as a failure kind; undefined when it passes. */
export function sampleFailure(
  s: HealthSample,
  policy: Pick<HealthPolicy, 'expectStatus' | 'body'>
): string | undefined {
  if (s.error !== undefined || s.status === undefined) return s.error ?? 'no response'
  if (!(policy.expectStatus ?? defaultStatus)(s.status)) return `status ${s.status}`
  // The gate's words (check.ts) for a body that fails expect-body.
  if (s.bodyMatch === false) return policy.body ? `body did not match /${policy.body.source}/` : 'body mismatch'
  return undefined
}

/** The reasons the window is unhealthy; empty when healthy. */
export function evaluate(window: readonly HealthSample[], policy: HealthPolicy): string[] {
  const out: string[] = []
  if (window.length === 0) return out
  const failures: Record<string, number> = {}
  for (const s of window) {
    const f = sampleFailure(s, policy)
    if (f !== undefined) failures[f] = (failures[f] ?? 0) + 1
  }
  const errors = Object.values(failures).reduce((a, b) => a + b, 0)
  const rate = errors / window.length
  if (rate > policy.maxErrorRate) {
    const kinds = Object.entries(failures)
      .map(([k, n]) => `${n}× ${k}`)
      .join(', ')
    out.push(`error rate ${pct(rate)} > max-error-rate ${pct(policy.maxErrorRate)} (${kinds})`)
  }
  const answered = window.filter((s) => s.error === undefined && s.status !== undefined).map((s) => s.latencyMs)
  if (answered.length === 0) {
    out.push(P95_UNKNOWN)
    return out
  }
  const p95 = latencyStats(answered).p95
  if (policy.maxP95Ms !== undefined && p95 > policy.maxP95Ms) {
    out.push(`p95 ${p95} ms > max-p95 ${formatDuration(policy.maxP95Ms)}`)
  }
  const base = policy.baselineP95Ms
  if (base !== undefined && p95 > policy.maxLatencyRatio * base) {
    out.push(`p95 ${p95} ms > ${policy.maxLatencyRatio} × baseline p95 ${base} ms (${(p95 / base).toFixed(2)}×)`)
  }
  return out
}

function pct(r: number): string {
  return `${Math.round(r * 10_000) / 100}%`
}
