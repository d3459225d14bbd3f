/**
 * The `metrics` input of the prometheus source (DESIGN: canary): a YAML list,
 * each item a metric judged on the points of its PromQL over the window.
 *
 *   - name: p95-latency
 *     query: histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{instance="$variant"}[5s])))
 *     direction: increase        # increase (default) | decrease | either
 *     critical: false            # default false
 *     weight: 1                  # > 0, default 1
 *     allowed-increase: 10%      # a ratio: 10% = 1.10, or 1.10; default 1.0
 *
 * Every Prometheus metric is of kind `values`: its points (one per query
 * step) feed Mann-Whitney and Hodges-Lehmann, error rates included (a rate
 * of 5xx is a value per step).
 */
import { parse as parseYaml } from 'yaml'
import * as z from 'zod/mini'
import type { MetricSpec } from '../source.js'
import { TemplateError, parseTemplate, type Template } from './promql.js'

export interface PromMetric extends MetricSpec {
  query: string
  template: Template
}

export class MetricsError extends Error {}

const DIRECTIONS = ['increase', 'decrease', 'either'] as const

const item = z.strictObject({
  name: z
    .string({ error: 'name: expected a non-empty string' })
    .check(z.minLength(1, 'name: expected a non-empty string')),
  query: z
    .string({ error: 'query: expected the PromQL as a string' })
    .check(z.minLength(1, 'query: expected the PromQL as a string')),
  direction: z.optional(z.string({ error: `direction: expected one of ${DIRECTIONS.join(', ')}` })),
  critical: z.optional(z.boolean({ error: 'critical: expected true or false' })),
  weight: z.optional(z.number({ error: 'weight: expected a number > 0' })),
  'allowed-increase': z.optional(
    z.union([z.number(), z.string()], { error: 'allowed-increase: expected a ratio such as 10% or 1.10' })
  )
})

/** `10%` → 1.10; `1.10` → 1.10; a ratio below 1 (a decrease) is refused. */
export function parseAllowedIncrease(v: number | string): number {
  const s = String(v).trim()
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(s)
  if (!m) throw new MetricsError(`allowed-increase '${s}': expected a ratio such as 10% (= 1.10) or 1.10`)
  const r = m[2] ? 1 + Number(m[1]) / 100 : Number(m[1])
  if (!(r >= 1))
    throw new MetricsError(`allowed-increase '${s}': expected a ratio ≥ 1 such as 10% (= 1.10) or 1.10 (1.0: any rise)`)
  return r
}

/** Parses and checks the YAML; throws MetricsError with one line naming the metric and its field. */
export function parseMetrics(text: string): PromMetric[] {
  let doc: unknown
  try {
    doc = parseYaml(text)
  } catch (e) {
    throw new MetricsError(`not YAML: ${(e as Error).message.split('\n')[0]}`)
  }
  if (!Array.isArray(doc) || doc.length === 0)
    throw new MetricsError('expected a YAML list of metrics, each with name and query (PromQL with $variant)')
  const seen = new Set<string>()
  return doc.map((raw, k) => {
    const at = `metric ${k + 1}${raw && typeof raw === 'object' && typeof raw.name === 'string' ? ` (${raw.name})` : ''}`
    if (!raw || typeof raw !== 'object' || Array.isArray(raw))
      throw new MetricsError(`${at}: expected a mapping with name and query`)
    const r = item.safeParse(raw)
    if (!r.success) {
      const issue = r.error.issues[0]
      const message =
        issue.code === 'unrecognized_keys'
          ? `unknown field ${issue.keys.map((x) => `'${x}'`).join(', ')}; expected name, query, direction, critical, weight, allowed-increase`
          : issue.message
      throw new MetricsError(`${at}: ${message}`)
    }
    const m = r.data
    if (seen.has(m.name)) throw new MetricsError(`${at}: the name is given twice; expected each metric's own name`)
    seen.add(m.name)
    const direction = m.direction ?? 'increase'
    if (!(DIRECTIONS as readonly string[]).includes(direction))
      throw new MetricsError(`${at}: direction '${direction}': expected one of ${DIRECTIONS.join(', ')}`)
    const weight = m.weight ?? 1
    if (!(weight > 0) || !Number.isFinite(weight))
      throw new MetricsError(`${at}: weight ${weight}: expected a number > 0`)
    let allowedIncrease = 1
    try {
      if (m['allowed-increase'] !== undefined) allowedIncrease = parseAllowedIncrease(m['allowed-increase'])
    } catch (e) {
      throw new MetricsError(`${at}: ${(e as Error).message}`)
    }
    let template: Template
    try {
      template = parseTemplate(m.query)
    } catch (e) {
      if (e instanceof TemplateError) throw new MetricsError(`${at}: query: ${e.message}`)
      throw e
    }
    return {
      name: m.name,
      kind: 'values' as const,
      direction: direction as MetricSpec['direction'],
      critical: m.critical ?? false,
      weight,
      allowedIncrease,
      query: m.query,
      template
    }
  })
}
