/**
 * A GitHub deployment through one deploy: created in_progress before the
 * release is written, then failure or success. Once the release is live a
 * GitHub API failure is a warning, never a reason to fail (and so roll back)
 * the deploy; a failure status that cannot be written is a warning too.
 */
import { errorMessage } from '@gantry/core'
import { GitHubDeployments, runUrl } from './github-deployments.js'

export interface DeploymentRunOptions {
  token: string
  environment: string
  releaseId?: string
  info: (line: string) => void
  warn: (line: string) => void
}

export interface DeploymentRun {
  id: number
  url: string
  failed(message: string): Promise<void>
  live(releaseId: string, environment: string): Promise<void>
}

export async function startDeploymentRun(o: DeploymentRunOptions): Promise<DeploymentRun> {
  const gh = new GitHubDeployments({ token: o.token })
  const deployment = await gh.createDeployment({
    environment: o.environment,
    description: `gantry deploy-atomic${o.releaseId ? ` ${o.releaseId}` : ''}`,
    payload: { tool: 'gantry', ...(o.releaseId ? { releaseId: o.releaseId } : {}) }
  })
  o.info(`GitHub deployment ${deployment.id} (${o.environment})`)
  await gh.createDeploymentStatus({
    deploymentId: deployment.id,
    state: 'in_progress',
    description: 'deploying',
    autoInactive: false
  })
  const warned = (e: unknown) => o.warn(`GitHub deployment status: ${errorMessage(e)}`)
  return {
    id: deployment.id,
    url: deployment.url,
    failed: async (message) => {
      await gh
        .createDeploymentStatus({ deploymentId: deployment.id, state: 'failure', description: message })
        .then(() => undefined, warned)
    },
    live: async (releaseId, environment) => {
      await gh
        .createDeploymentStatus({
          deploymentId: deployment.id,
          state: 'success',
          description: `release ${releaseId} is live`,
          environment,
          logUrl: runUrl()
        })
        .then(() => undefined, warned)
    }
  }
}

/** After a rollback: the deployment that was left behind is marked failed; a failure to do so is a warning. */
export async function markRolledBack(o: {
  token: string
  deploymentId: number
  to: string
  reason: string
  warn: (line: string) => void
}): Promise<{ id: number; status?: string; url?: string; error?: string }> {
  try {
    const s = await new GitHubDeployments({ token: o.token }).createDeploymentStatus({
      deploymentId: o.deploymentId,
      state: 'failure',
      description: `rolled back to ${o.to}: ${o.reason}`
    })
    return { id: o.deploymentId, status: s.state, url: s.url }
  } catch (e) {
    o.warn(`GitHub deployment ${o.deploymentId}: could not mark it failed: ${errorMessage(e)}`)
    return { id: o.deploymentId, error: errorMessage(e) }
  }
}
