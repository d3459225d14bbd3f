/**
 * The metric-source kinds, registered in one place (`analysis` chooses one):
 * a new source is its module and one line here (plus action.yml and its README).
 */
import { checkSelected, registry } from '@gantry/core'
import type { MetricSource } from '../source.js'
import type { SourceCommon, SourceContext, SourceKindOf } from './kind.js'
import { nginxLogKind } from './nginx-log.js'
import { probeKind } from './probe.js'
import { prometheusKind } from './prometheus.js'

export const sourceKinds = registry('metric source', [probeKind, nginxLogKind, prometheusKind] as const)

export type SourceName = (typeof sourceKinds.names)[number]

/** Refuses another source's inputs, then runs the chosen source's checks (one line, before any side effect). */
export function checkSource(values: SourceCommon & { analysis: string }): void {
  checkSelected(sourceKinds, 'analysis', values)
}

export function makeSource(values: SourceCommon & { analysis: string }, ctx: SourceContext): MetricSource {
  checkSource(values)
  return (sourceKinds.get(values.analysis) as unknown as SourceKindOf<Record<string, never>>).make(values as never, ctx)
}
