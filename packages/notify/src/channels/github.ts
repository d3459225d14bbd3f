/** GitHub deployment status as a channel: state from the status, links to the app and the run. */
import { InputError, fields, optional } from '@gantry/core'
import { DeliveryFailed } from '../delivery.js'
import { GitHubDeployments, deploymentStateFor } from '../github-deployments.js'
import type { Message } from '../message.js'
import type { Channel, SendContext, Sent } from './channel.js'
import { channelKind } from './kind.js'

export interface GitHubStatusOptions {
  token: string
  deploymentId: number
  baseUrl?: string
  repository?: string
}

export function githubDeploymentStatus(o: GitHubStatusOptions): Channel<'github'> {
  return {
    name: 'github',
    async send(m: Message, ctx: SendContext): Promise<Sent> {
      const client = new GitHubDeployments({
        token: o.token,
        baseUrl: o.baseUrl,
        repository: o.repository,
        policy: ctx.policy,
        onRetry: ctx.onRetry
      })
      const state = deploymentStateFor(m.status)
      try {
        const s = await client.createDeploymentStatus({
          deploymentId: o.deploymentId,
          state,
          environmentUrl: m.environmentUrl,
          logUrl: m.runUrl,
          description: m.text,
          // No `environment`: the deployment already names it, and notify's
          // environment input is for display.
          autoInactive: true
        })
        return { detail: `deployment ${o.deploymentId} → ${state}`, attempts: s.attempts }
      } catch (e) {
        // Strip the client's prefix: the summary already says which channel this is.
        if (e instanceof DeliveryFailed)
          throw new DeliveryFailed(e.message.replace(/^create deployment status: /, ''), e.attempts)
        throw e
      }
    }
  }
}

/** `token` defaults to the job's token in action.yml, so the deployment id alone configures it. */
export const githubKind = channelKind({
  name: 'github',
  inputs: {
    'github-deployment-id': optional(fields.int(1)),
    token: optional(fields.string('a GitHub token'))
  },
  secrets: ['token'],
  check(v) {
    if (v['github-deployment-id'] && !v.token) {
      throw new InputError(
        "Input 'token' is required with github-deployment-id: expected a GitHub token (default ${{ github.token }})"
      )
    }
  },
  make: (v) =>
    v['github-deployment-id'] && v.token
      ? [githubDeploymentStatus({ token: v.token, deploymentId: v['github-deployment-id'] })]
      : []
})
