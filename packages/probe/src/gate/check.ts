/** What makes one response a pass: an expected status, and the body regex if given. */
import type { StatusSet } from '@gantry/core'
import type { ProbeResponse } from '../request.js'

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
