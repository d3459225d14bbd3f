/** What makes one response a pass: an expected status, and the body regex if given. */
import type { StatusSet } from '@gantry/core'
import type { ProbeResponse } from '../request.js'
import type { HealthSample } from '../health-policy.js'

export interface Expectation {
  status: StatusSet
  body?: RegExp
}

export type Verdict = { pass: true } | { pass: false; reason: string }

export function judge(res: ProbeResponse, expect: Expectation): Verdict {
  if (res.error) return { pass: false, reason: res.error.message }
  if (res.status === undefined) return { pass: false, reason: 'no response' }
  if (!expect.status.has(res.status)) return { pass: false, reason: `status ${res.status} (expected ${expect.status})` }
  if (expect.body && !expect.body.test(res.body))
    return { pass: false, reason: `body did not match /${expect.body.source}/` }
  return { pass: true }
}

/**
 * One response as the health policy sees it: the transport error's kind, and
 * whether the body matched (checked only when the status passed, as judge does).
 * health-gate's sample and auto-rollback's watch both build samples here, so
 * the same response gets the same verdict from sampleFailure in either. A
 * caller that has judged the response already passes its verdict, so the body
 * is matched once.
 */
export function healthSample(
  res: ProbeResponse,
  expect: Expectation,
  verdict: Verdict = judge(res, expect)
): HealthSample {
  const answered = !res.error && res.status !== undefined
  const checkBody = answered && expect.body !== undefined && expect.status.has(res.status!)
  return {
    status: res.status,
    latencyMs: res.latencyMs,
    error: res.error?.kind,
    // With the status passed, judge's verdict is the body's.
    bodyMatch: checkBody ? verdict.pass : undefined
  }
}
