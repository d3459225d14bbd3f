/** What auto-rollback leaves behind: the report file, the job summary and the outputs; and which GitHub deployment to mark. */
import { setOutputs, writeReport, writeSummary } from '@gantry/core'
import { emptyHistory, findRelease } from './history.js'
import { rollbackSummary, type RollbackSummary } from './summary.js'
import type { StateStore } from './target.js'

export async function reportRollback(
  started: Date,
  ok: boolean,
  summary: RollbackSummary,
  body: Record<string, unknown>
): Promise<void> {
  const report = await writeReport('auto-rollback', started, ok, {
    rolledBack: summary.rolledBack,
    slot: summary.slot ?? null,
    from: summary.from ?? null,
    to: summary.to ?? null,
    reason: summary.reason,
    switchMs: summary.durationMs === undefined ? null : Math.round(summary.durationMs * 100) / 100,
    ...body
  })
  await writeSummary(rollbackSummary(summary))
  setOutputs('auto-rollback', {
    'rolled-back': summary.rolledBack,
    from: summary.from ?? '',
    to: summary.to ?? '',
    reason: summary.reason,
    duration: summary.durationMs === undefined ? '' : Math.round(summary.durationMs),
    slot: summary.slot ?? '',
    report
  })
}

/**
 * The GitHub deployment a rollback marks failed: `github-deployment-id`, or the
 * one deploy-atomic recorded with the release left behind. Undefined when
 * there is none, or (with a warning) when there is no token to mark it with.
 */
export async function deploymentToMark(
  i: { 'github-deployment-id'?: number; token?: string },
  from: string | undefined,
  t: Pick<StateStore, 'readHistory'>,
  warn: (line: string) => void
): Promise<number | undefined> {
  let id = i['github-deployment-id']
  if (id === undefined && from && i.token)
    id = findRelease(await t.readHistory().catch(() => emptyHistory()), from)?.githubDeploymentId
  if (id !== undefined && !i.token) {
    warn(`github-deployment-id ${id} given without a token: the deployment was not marked failed`)
    return undefined
  }
  return id
}
