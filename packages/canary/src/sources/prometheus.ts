/**
 * The `prometheus` source as a kind: each metric of `metrics` (YAML, with
 * `$variant` in its PromQL) asked of `prometheus-url` per variant as a range
 * query over the window at `prometheus-step`; `$variant` is the variant's
 * address in `servers` (what Prometheus's `instance` label holds for a target
 * scraped at that address). Refused at input time when a window
 * (`bake` ÷ the step) cannot give `min-samples` points.
 */
import { InputError, fields, formatDuration, optional, stringField, type Field } from '@gantry/core'
import { promClient } from '../prometheus/client.js'
import { MetricsError, parseMetrics, type PromMetric } from '../prometheus/metrics-spec.js'
import { prometheusSource } from '../prometheus/source.js'
import type { SourceKindOf } from './kind.js'

/** The query step when `prometheus-step` is not given: Prometheus's default scrape interval. */
export const PROMETHEUS_STEP_MS = 15_000
/** Prometheus refuses a range query of more points than this per series. */
export const PROMETHEUS_MAX_POINTS = 11_000

const metricsField = (): Field<PromMetric[]> =>
  stringField((s, fail) => {
    try {
      return parseMetrics(s)
    } catch (e) {
      if (e instanceof MetricsError) return fail(e.message)
      throw e
    }
  })

const inputs = {
  'prometheus-url': optional(fields.url()),
  metrics: optional(metricsField()),
  'prometheus-step': optional(fields.duration(1, { timer: true }))
}

/** The label value `$variant` becomes: the server's address in `servers`. */
export function variantValue(servers: ReadonlyArray<{ name: string; address: string }>, name: string): string {
  return servers.find((s) => s.name === name)?.address ?? name
}

export const prometheusKind = {
  name: 'prometheus' as const,
  inputs,
  secrets: [],
  check(v) {
    if (!v['prometheus-url'])
      throw new InputError(
        "Input 'prometheus-url' is required when analysis is prometheus: expected the Prometheus server's http(s) base URL, e.g. http://127.0.0.1:9090/"
      )
    if (!v.metrics)
      throw new InputError(
        "Input 'metrics' is required when analysis is prometheus: expected a YAML list of metrics, each with name and query (PromQL with $variant)"
      )
    const step = v['prometheus-step'] ?? PROMETHEUS_STEP_MS
    const points = Math.floor(v.bake / step)
    if (points < v['min-samples'])
      throw new InputError(
        `Input 'bake' has invalid value '${formatDuration(v.bake)}': at the query step ${formatDuration(step)} (prometheus-step) a window gives ${points} point(s) per variant, fewer than min-samples ${v['min-samples']}; expected a bake of at least ${formatDuration(v['min-samples'] * step)}, a shorter prometheus-step or a lower min-samples`
      )
    if (points > PROMETHEUS_MAX_POINTS)
      throw new InputError(
        `Input 'prometheus-step' has invalid value '${formatDuration(step)}': a bake of ${formatDuration(v.bake)} would ask ${points} points per series, more than Prometheus's ${PROMETHEUS_MAX_POINTS}; expected a step of at least ${formatDuration(Math.ceil(v.bake / PROMETHEUS_MAX_POINTS))}`
      )
    const b = variantValue(v.servers, v['baseline-server'])
    const c = variantValue(v.servers, v['canary-server'])
    if (b === c)
      throw new InputError(
        `Input 'servers' has invalid value for ${v['canary-server']}: its address '${c}' is the baseline's too, and with prometheus $variant is the address; expected each variant's own address`
      )
  },
  make: (v) =>
    prometheusSource({
      url: v['prometheus-url']!,
      api: promClient(v['prometheus-url']!, v.timeout),
      metrics: v.metrics!,
      stepMs: v['prometheus-step'] ?? PROMETHEUS_STEP_MS,
      variants: {
        baseline: variantValue(v.servers, v['baseline-server']),
        canary: variantValue(v.servers, v['canary-server'])
      }
    })
} satisfies SourceKindOf<typeof inputs>
