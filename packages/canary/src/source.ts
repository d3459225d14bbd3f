/**
 * What a metric source gives the canary (probe here; the nginx access log and
 * Prometheus are further kinds of the same interface): per judged window, each
 * metric's data for the baseline and the canary, and, while the window runs,
 * the canary's recent responses for the guard.
 */
import type { HealthSample } from '@gantry/probe'

/** One metric's points for one variant: values (latencies) or events out of a total (errors of requests). */
export type MetricData = { kind: 'values'; values: number[] } | { kind: 'count'; events: number; total: number }

export interface VariantPair {
  baseline: MetricData
  canary: MetricData
  /** Points the source asked for but got no value (prometheus: NaN, ±Inf, a step without a sample), per variant: left out as no data. */
  missing?: { baseline: number; canary: number }
}

/** Every metric's data for one window (a bake, or an extension of it). */
export type WindowData = Record<string, VariantPair>

export interface Window {
  /** The canary's responses since the last call (empty when the source cannot tell them apart yet). */
  recent(): HealthSample[]
  /** Ends the window once its time is up: the data of both variants. */
  end(): Promise<WindowData>
  /** Stops it early (an abort): pending work is dropped. */
  cancel(): void
  /** After end(): what the summary says of this window (points per variant, what was left out as no data). */
  notes?(): string[]
}

/** How one metric is judged (DESIGN: the judge). */
export interface MetricSpec {
  name: string
  /** `values` (latencies: Mann-Whitney and Hodges-Lehmann) or `count` (events out of a total: Fisher's exact test). */
  kind: MetricData['kind']
  /** Which change fails: `increase` (latency, errors), `decrease` (throughput) or `either`. */
  direction: 'increase' | 'decrease' | 'either'
  /** A failed critical metric scores the step 0. */
  critical: boolean
  weight: number
  /** The mean (or rate) ratio a change must reach to fail: 1.10 lets 10% through. */
  allowedIncrease: number
}

export interface MetricSource {
  /** Which source, for the summary (probe, nginx-log, prometheus). */
  name: string
  /** Where and how it reads (for the summary), e.g. the Prometheus URL and the query step. */
  detail?: string
  /** Checks needing the network, before any traffic moves (an unreachable prometheus-url): InputError, one line. */
  preflight?(signal?: AbortSignal): Promise<void>
  /** The metrics its windows hold, and how each is judged. */
  metrics: MetricSpec[]
  /** Starts observing a window of `durationMs`, the step's bake. */
  begin(durationMs: number, signal: AbortSignal): Window
  /** Checks on the router host before anything moves (InputError: one line naming the input). */
  open?(): Promise<void>
  close(): Promise<void>
}

/** Window data added together: an extension adds its points to the bake's, so a low-traffic step gathers enough. */
export function mergeWindows(a: WindowData, b: WindowData): WindowData {
  const out: WindowData = { ...a }
  for (const [name, pair] of Object.entries(b)) {
    const prev = out[name]
    if (!prev) {
      out[name] = pair
      continue
    }
    const merged: VariantPair = {
      baseline: mergeData(prev.baseline, pair.baseline),
      canary: mergeData(prev.canary, pair.canary)
    }
    if (prev.missing || pair.missing)
      merged.missing = {
        baseline: (prev.missing?.baseline ?? 0) + (pair.missing?.baseline ?? 0),
        canary: (prev.missing?.canary ?? 0) + (pair.missing?.canary ?? 0)
      }
    out[name] = merged
  }
  return out
}

function mergeData(a: MetricData, b: MetricData): MetricData {
  if (a.kind === 'values' && b.kind === 'values') return { kind: 'values', values: a.values.concat(b.values) }
  if (a.kind === 'count' && b.kind === 'count')
    return { kind: 'count', events: a.events + b.events, total: a.total + b.total }
  throw new Error(`canary: a metric changed kind between windows (${a.kind}, ${b.kind})`)
}

/** How many points a metric has for a variant (what min-samples is compared with). */
export function points(d: MetricData): number {
  return d.kind === 'values' ? d.values.length : d.total
}
