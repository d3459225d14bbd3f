/**
 * Phase 2: once healthy, `count` requests at `concurrency` in flight. Latency
 * percentiles cover the requests that got a response; every failure (no
 * response, or a response that fails the expectation) counts in the error rate.
 */
import { mapPool } from '@gantry/core'
import { performance } from 'node:perf_hooks'
import type { HttpClient, ProbeRequest } from '../request.js'
import { latencyStats, type LatencyStats } from '../stats.js'
import type { HealthSample } from '../health-policy.js'
import { healthSample, judge, type Expectation } from './check.js'

export interface SampleOutcome {
  count: number
  errors: number
  errorRate: number
  latency: LatencyStats
  /** Responses by status code, and failures by kind ("timeout", "reset", "status 500"…). */
  statuses: Record<string, number>
  failures: Record<string, number>
  /** Raw latencies (ms) of answered requests, for aggregating across URLs. */
  latencies: number[]
  /** Every request's outcome, for the health policy. */
  window: HealthSample[]
  /** Wall time of the whole sample, ms (throughput = count / durationMs). */
  durationMs: number
}

export async function sample(
  client: HttpClient,
  request: Omit<ProbeRequest, 'signal'>,
  expect: Expectation,
  count: number,
  concurrency: number,
  signal?: AbortSignal
): Promise<SampleOutcome> {
  const latencies: number[] = []
  const statuses: Record<string, number> = {}
  const failures: Record<string, number> = {}
  const window: HealthSample[] = []
  let errors = 0
  const start = performance.now()
  await mapPool(
    Array.from({ length: count }, (_, i) => i),
    concurrency,
    async () => {
      const res = await client.send({ ...request, signal })
      if (res.status !== undefined) {
        latencies.push(res.latencyMs)
        statuses[res.status] = (statuses[res.status] ?? 0) + 1
      }
      const v = judge(res, expect)
      window.push(healthSample(res, expect, v))
      if (!v.pass) {
        errors++
        const kind = res.error ? res.error.kind : v.reason.replace(/ \(expected.*$/, '')
        failures[kind] = (failures[kind] ?? 0) + 1
      }
    }
  )
  return {
    count,
    errors,
    errorRate: count === 0 ? 0 : errors / count,
    latency: latencyStats(latencies),
    statuses,
    failures,
    latencies,
    window,
    durationMs: Math.round(performance.now() - start)
  }
}
