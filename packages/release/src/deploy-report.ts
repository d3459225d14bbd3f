/** What deploy-atomic leaves behind after a deploy: the report file, the job summary and the outputs. */
import { setOutputs, writeReport, writeSummary } from '@gantry/core'
import type { DeployResult } from './deploy.js'
import { deployFailureSummary, deploySummary } from './summary.js'

export interface DeployRecord {
  started: Date
  target: string
  path: string
  environment?: string
  /** The slot linked (`idle` resolved); undefined: `current`. */
  slot?: string
  githubDeployment?: { id: number; url: string }
  /** More of the report (strategy: rolling's batches), filled while the deploy runs. */
  extra?: Record<string, unknown>
}

function common(r: DeployRecord) {
  return {
    target: r.target,
    path: r.path,
    slot: r.slot ?? null,
    environment: r.environment ?? null,
    githubDeployment: r.githubDeployment ? { id: r.githubDeployment.id, url: r.githubDeployment.url } : null,
    ...r.extra
  }
}

export async function reportDeployed(r: DeployRecord, result: DeployResult): Promise<void> {
  const { githubDeployment, ...rest } = common(r)
  const report = await writeReport('deploy-atomic', r.started, true, {
    releaseId: result.id,
    previousReleaseId: result.previous ?? null,
    releasePath: result.path,
    ...rest,
    manifest: result.manifest,
    targets: result.targets,
    timings: result.timings,
    githubDeployment
  })
  await writeSummary(deploySummary(result, r.environment, r.githubDeployment?.url))
  setOutputs('deploy-atomic', {
    'release-id': result.id,
    'previous-release-id': result.previous ?? '',
    'release-path': result.path,
    slot: result.slot ?? '',
    report
  })
}

export async function reportDeployFailed(r: DeployRecord, message: string): Promise<void> {
  const report = await writeReport('deploy-atomic', r.started, false, { error: message, ...common(r) })
  setOutputs('deploy-atomic', { slot: r.slot ?? '', report })
  await writeSummary(deployFailureSummary(message, r.environment, r.slot))
}
