/**
 * The `prometheus` metric source: each metric's PromQL, `$variant` replaced
 * by the baseline's and then the canary's label value, asked of Prometheus's
 * HTTP API as a range query over the window once it ends: (start, end] at the
 * stated step, so a window of `bake` gives bake ÷ step points per series, and
 * the first point (whose rate would reach back into the previous step) is not
 * asked for. Every finite point is a value for the judge (Mann-Whitney and
 * Hodges-Lehmann); NaN, ±Inf and steps without a sample are left out and
 * counted as such. recent() gives the guard nothing: with this source the
 * guard does not look (the judge still aborts at the window's end).
 */
import { InputError } from '@gantry/core'
import type { MetricSource, VariantPair, Window, WindowData } from '../source.js'
import { PromApiError, PromUnreachable, shownUrl, type PromApi, type Series } from './client.js'
import type { PromMetric } from './metrics-spec.js'
import { render } from './promql.js'

export interface PrometheusSourceOptions {
  url: URL
  api: PromApi
  metrics: PromMetric[]
  stepMs: number
  /** The label value `$variant` becomes for each variant. */
  variants: { baseline: string; canary: string }
  now?: () => number
}

/** What one variant's series give over `expected` steps: the finite points, and how many steps had none. */
export function pointsOf(series: Series[], expected: number): { values: number[]; missing: number } {
  const values: number[] = []
  for (const s of series) for (const [, v] of s.values) if (Number.isFinite(v)) values.push(v)
  return { values, missing: Math.max(0, expected * Math.max(1, series.length) - values.length) }
}

/** How many steps (start, end] holds at `stepMs`: the points one series can give. */
export const stepsIn = (startMs: number, endMs: number, stepMs: number) =>
  Math.max(0, Math.floor((endMs - startMs) / stepMs))

export function prometheusSource(o: PrometheusSourceOptions): MetricSource {
  const now = o.now ?? (() => Date.now())
  const stepS = o.stepMs / 1000
  const shown = shownUrl(o.url)
  return {
    name: 'prometheus',
    detail: `${shown}, query_range step ${stepS}s`,
    metrics: o.metrics,
    async preflight(signal) {
      try {
        await o.api.buildinfo(signal)
      } catch (e) {
        // Prometheus-compatible stores without buildinfo (404) are still asked the metrics' queries below.
        if (!(e instanceof PromApiError && e.status === 404)) throw unreachable(shown, e)
      }
      const t = now() / 1000
      for (const m of o.metrics) {
        try {
          await o.api.query(render(m.template, o.variants.baseline), t, signal)
        } catch (e) {
          if (e instanceof PromApiError && e.errorType === 'bad_data')
            throw new InputError(
              `Input 'metrics' has invalid value for metric '${m.name}': Prometheus refused its query (${e.message}); expected PromQL that ${shown} accepts`
            )
          throw unreachable(shown, e)
        }
      }
    },
    begin(durationMs, signal): Window {
      const start = now()
      const stop = new AbortController()
      const both = AbortSignal.any([signal, stop.signal])
      return {
        recent: () => [],
        async end(): Promise<WindowData> {
          const end = Math.max(now(), start + durationMs)
          const first = start + o.stepMs
          const expected = stepsIn(start, end, o.stepMs)
          const ask = async (m: PromMetric, value: string) => {
            try {
              return await o.api.queryRange(render(m.template, value), first / 1000, end / 1000, stepS, both)
            } catch (e) {
              throw new Error(`prometheus: metric '${m.name}': ${(e as Error).message}`)
            }
          }
          const out: WindowData = {}
          await Promise.all(
            o.metrics.map(async (m) => {
              const [b, c] = await Promise.all([ask(m, o.variants.baseline), ask(m, o.variants.canary)])
              const pb = pointsOf(b, expected)
              const pc = pointsOf(c, expected)
              const pair: VariantPair = {
                baseline: { kind: 'values', values: pb.values },
                canary: { kind: 'values', values: pc.values },
                missing: { baseline: pb.missing, canary: pc.missing }
              }
              out[m.name] = pair
            })
          )
          return out
        },
        cancel: () => stop.abort()
      }
    },
    close: () => o.api.close()
  }
}

function unreachable(shown: string, e: unknown): InputError {
  const why =
    e instanceof PromUnreachable
      ? `no answer (${e.message})`
      : e instanceof PromApiError
        ? `not Prometheus's API (${e.message})`
        : (e as Error).message
  return new InputError(
    `Input 'prometheus-url' has invalid value '${shown}': ${why}; expected the base URL of a Prometheus server that answers /api/v1/status/buildinfo`
  )
}
