import { describe, expect, it } from '@jest/globals'
import { evaluate, sampleFailure, type HealthPolicy, type HealthSample } from '@gantry/probe'

const ok = (latencyMs: number): HealthSample => ({ status: 200, latencyMs })
const base: HealthPolicy = { maxErrorRate: 0, maxLatencyRatio: 2 }

describe('evaluate', () => {
  it('finds a healthy window healthy', () => {
    expect(evaluate([ok(10), ok(20)], base)).toEqual([])
  })

  it('names the error rate with its failure kinds', () => {
    const w = [ok(10), { status: 500, latencyMs: 5 }, { latencyMs: 1000, error: 'timeout' }, ok(10)]
    expect(evaluate(w, { ...base, maxErrorRate: 0.25 })).toEqual([
      'error rate 50% > max-error-rate 25% (1× status 500, 1× timeout)'
    ])
  })

  it('counts a status outside expect-status and a body mismatch as failures', () => {
    const expectStatus = (s: number) => s === 204
    expect(sampleFailure({ status: 200, latencyMs: 1 }, { expectStatus })).toBe('status 200')
    expect(sampleFailure({ status: 204, latencyMs: 1, bodyMatch: false }, {})).toBe('body mismatch')
    expect(sampleFailure({ status: 204, latencyMs: 1, bodyMatch: false }, { body: /ok/ })).toBe(
      'body did not match /ok/'
    )
    expect(evaluate([{ status: 200, latencyMs: 1, bodyMatch: false }], base)[0]).toBe(
      'error rate 100% > max-error-rate 0% (1× body mismatch)'
    )
  })

  it('says p95 is unknown when nothing answered', () => {
    expect(evaluate([{ latencyMs: 5, error: 'reset' }], { ...base, maxErrorRate: 1 })).toEqual([
      'no sample request got a response, so p95 is unknown'
    ])
  })

  it('breaches max-p95', () => {
    expect(evaluate([ok(10), ok(900)], { ...base, maxP95Ms: 500 })).toEqual(['p95 900 ms > max-p95 500ms'])
  })

  it('breaches the latency ratio against the baseline', () => {
    expect(evaluate([ok(300)], { ...base, baselineP95Ms: 100 })).toEqual([
      'p95 300 ms > 2 × baseline p95 100 ms (3.00×)'
    ])
  })
})
