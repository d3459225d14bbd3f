/**
 * Phase 1: poll one URL until `threshold` consecutive passes, or give up at the
 * deadline. Polls run at a fixed rate (start + k × interval), so a slow answer
 * does not push every later poll back, and a server that turns healthy is
 * seen within one interval.
 */
import { formatDuration, sleep } from '@gantry/core'
import { performance } from 'node:perf_hooks'
import type { HttpClient, ProbeRequest } from '../request.js'
import { judge, type Expectation } from './check.js'

export interface PollOptions {
  request: Omit<ProbeRequest, 'signal'>
  expect: Expectation
  intervalMs: number
  maxWaitMs: number
  threshold: number
  signal?: AbortSignal
  /** Called after each attempt (for logs). */
  onAttempt?: (attempt: number, pass: boolean, reason: string | undefined) => void
}

export interface PollOutcome {
  healthy: boolean
  attempts: number
  /** ms from the start of polling to the poll that completed the streak. */
  timeToHealthyMs?: number
  /** Why the last failing poll failed (status, timeout, refused, reset, DNS…). */
  lastReason?: string
  /** Passes/failures seen while waiting, for the report. */
  passes: number
  failures: number
}

export async function pollUntilHealthy(client: HttpClient, o: PollOptions): Promise<PollOutcome> {
  const start = performance.now()
  const deadline = start + o.maxWaitMs
  const out: PollOutcome = { healthy: false, attempts: 0, passes: 0, failures: 0 }
  let streak = 0
  for (let k = 0; ; k++) {
    const left = deadline - performance.now()
    if (left <= 0 || o.signal?.aborted) break
    out.attempts++
    // A poll never runs past the deadline.
    const cut = left < o.request.timeoutMs
    const res = await client.send({
      ...o.request,
      timeoutMs: cut ? Math.ceil(left) : o.request.timeoutMs,
      signal: o.signal
    })
    const v = judge(res, o.expect)
    if (cut && res.error?.kind === 'timeout') {
      // Cut short by max-wait: not the service's fault, so keep the last real reason.
      out.failures++
      out.lastReason ??= `no answer before max-wait (${formatDuration(o.maxWaitMs)})`
      break
    }
    o.onAttempt?.(out.attempts, v.pass, v.pass ? undefined : v.reason)
    if (v.pass) {
      out.passes++
      if (++streak >= o.threshold) {
        out.healthy = true
        out.timeToHealthyMs = Math.round(performance.now() - start)
        return out
      }
    } else {
      out.failures++
      streak = 0
      out.lastReason = v.reason
    }
    const next = start + (k + 1) * o.intervalMs
    const wait = Math.min(next, deadline) - performance.now()
    if (wait > 0) await sleep(wait, o.signal)
  }
  if (!out.lastReason) out.lastReason = `only ${streak} of ${o.threshold} consecutive passes before max-wait`
  return out
}
