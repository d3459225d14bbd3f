/**
 * GitHub deployments and deployment statuses, shared by notify, deploy-atomic
 * and auto-rollback. Built on @actions/github's Octokit with the API base from
 * GITHUB_API_URL (GHES and tests point it elsewhere), each request bounded in
 * time and retried on 429/5xx/network failures like every other channel.
 *
 * Peers got the URLs mixed up (chrnorm/deployment-action) and `auto_inactive`
 * silently ignored (bobheadxi/deployments): here `environment_url` is the
 * deployed app, `log_url` is always the workflow run, and `auto_inactive` is
 * sent explicitly on every status.
 */
import { getOctokit } from '@actions/github'
import { defaultPolicy, deliver, DeliveryError, DeliveryFailed, type DeliveryPolicy } from './delivery.js'

/** The states GitHub accepts for a deployment status. */
export type DeploymentState = 'error' | 'failure' | 'inactive' | 'in_progress' | 'queued' | 'pending' | 'success'

/** The statuses notify (and the pipeline) speak in. */
export type NotifyStatus = 'started' | 'success' | 'failure' | 'cancelled' | 'rolled-back'

/**
 * How a pipeline status shows on a deployment:
 * - started → in_progress
 * - success → success
 * - failure → failure
 * - cancelled → inactive: the run was stopped, not broken; the previous release
 *   keeps serving, so this deployment is retired rather than marked red
 *   (`error` would claim something went wrong with the deployment itself)
 * - rolled-back → failure: the release was taken back, never a success
 */
export function deploymentStateFor(status: NotifyStatus): DeploymentState {
  switch (status) {
    case 'started':
      return 'in_progress'
    case 'success':
      return 'success'
    case 'failure':
    case 'rolled-back':
      return 'failure'
    case 'cancelled':
      return 'inactive'
  }
}

export interface GitHubClientOptions {
  token: string
  /** "owner/name"; default GITHUB_REPOSITORY. */
  repository?: string
  /** Default GITHUB_API_URL, else https://api.github.com. */
  baseUrl?: string
  policy?: Partial<DeliveryPolicy>
  /** Told about each retry (for the log). */
  onRetry?: (message: string, attempt: number, delayMs: number) => void
}

export interface CreateDeploymentParams {
  /** Branch, tag or sha; default GITHUB_SHA (the exact commit, not a moving branch). */
  ref?: string
  environment: string
  description?: string
  /** Default: true for an environment named production/prod. */
  production?: boolean
  /** For short-lived environments (previews); default false. */
  transient?: boolean
  /** Free-form data stored with the deployment (e.g. the release id). */
  payload?: Record<string, unknown>
  task?: string
}

export interface Deployment {
  id: number
  url: string
  environment: string
  ref: string
  sha: string
}

export interface CreateDeploymentStatusParams {
  deploymentId: number
  state: DeploymentState
  /** URL of the deployed app. */
  environmentUrl?: string
  /** Default: the URL of this workflow run (runUrl()). */
  logUrl?: string
  description?: string
  /** Name of the environment, when the status should move the deployment there. */
  environment?: string
  /**
   * Mark earlier successful deployments to this environment inactive. GitHub's
   * default is true; it is sent explicitly (only meaningful with `success`).
   */
  autoInactive?: boolean
}

export interface DeploymentStatus {
  id: number
  state: string
  url: string
}

/** The workflow run's URL: GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/GITHUB_RUN_ID. */
export function runUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const server = env.GITHUB_SERVER_URL || 'https://github.com'
  if (!env.GITHUB_REPOSITORY || !env.GITHUB_RUN_ID) return undefined
  const attempt = env.GITHUB_RUN_ATTEMPT && env.GITHUB_RUN_ATTEMPT !== '1' ? `/attempts/${env.GITHUB_RUN_ATTEMPT}` : ''
  return `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}${attempt}`
}

/** GitHub limits a deployment status description to 140 characters. */
export const DESCRIPTION_LIMIT = 140

function clip(s: string | undefined, n: number): string | undefined {
  if (s === undefined) return undefined
  return s.length > n ? `${s.slice(0, n - 1)}…` : s
}

function split(repository: string | undefined): { owner: string; repo: string } {
  const full = repository ?? process.env.GITHUB_REPOSITORY ?? ''
  const [owner, repo, extra] = full.split('/')
  if (!owner || !repo || extra !== undefined) {
    throw new Error(`GitHub repository '${full}' is not of the form owner/name (GITHUB_REPOSITORY unset?)`)
  }
  return { owner, repo }
}

/** Turns an Octokit failure into a DeliveryError with the retry verdict. */
function classify(e: unknown): DeliveryError {
  const err = e as {
    status?: number
    message?: string
    response?: { headers?: Record<string, string | undefined>; data?: unknown }
    name?: string
  }
  if (typeof err.status === 'number' && err.status > 0) {
    const data = err.response?.data as { message?: string } | undefined
    const detail = data?.message ?? err.message ?? ''
    const headers = err.response?.headers ?? {}
    // GitHub's secondary rate limits answer 403 with Retry-After (or x-ratelimit-remaining: 0).
    const limited =
      err.status === 429 || (err.status === 403 && (headers['retry-after'] || headers['x-ratelimit-remaining'] === '0'))
    const retryAfter = headers['retry-after']
    const ms = retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1000 : undefined
    return new DeliveryError(
      `HTTP ${err.status}: ${detail}`,
      Boolean(limited) || err.status >= 500,
      err.status,
      limited ? ms : undefined
    )
  }
  return new DeliveryError(err.message ?? String(e), true)
}

/** A small client so callers need not know Octokit. */
export class GitHubDeployments {
  private readonly octokit: ReturnType<typeof getOctokit>
  private readonly owner: string
  private readonly repo: string
  private readonly policy: DeliveryPolicy
  private readonly onRetry?: GitHubClientOptions['onRetry']

  constructor(options: GitHubClientOptions) {
    if (!options.token) throw new Error('a GitHub token is required for deployments')
    ;({ owner: this.owner, repo: this.repo } = split(options.repository))
    this.octokit = getOctokit(options.token, {
      baseUrl: (options.baseUrl ?? process.env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/+$/, ''),
      userAgent: 'gantry'
    })
    this.policy = { ...defaultPolicy, ...options.policy }
    this.onRetry = options.onRetry
  }

  private async call<T>(
    what: string,
    fn: (signal: AbortSignal) => Promise<T>
  ): Promise<{ value: T; attempts: number }> {
    return deliver(
      async () => {
        const signal = AbortSignal.timeout(this.policy.timeoutMs)
        try {
          return await fn(signal)
        } catch (e) {
          // Octokit reports an aborted fetch as a status-500 error: ask the signal instead.
          if (signal.aborted) throw new DeliveryError(`timed out after ${this.policy.timeoutMs} ms`, true)
          throw classify(e)
        }
      },
      this.policy,
      (e, n, delay) => this.onRetry?.(`${what}: ${e.message}`, n, delay)
    ).catch((e: unknown) => {
      if (e instanceof DeliveryFailed) throw new DeliveryFailed(`${what}: ${e.message}`, e.attempts)
      throw e
    })
  }

  /** POST /repos/{owner}/{repo}/deployments — never auto-merges, requires no status checks. */
  async createDeployment(p: CreateDeploymentParams): Promise<Deployment & { attempts: number }> {
    const production = p.production ?? /^prod(uction)?$/i.test(p.environment)
    const { value, attempts } = await this.call('create deployment', (signal) =>
      this.octokit.rest.repos.createDeployment({
        owner: this.owner,
        repo: this.repo,
        ref: p.ref ?? process.env.GITHUB_SHA ?? 'HEAD',
        environment: p.environment,
        description: clip(p.description, DESCRIPTION_LIMIT),
        // The pipeline has already tested this commit; merging the default
        // branch in or waiting for checks is not what a deploy step wants.
        auto_merge: false,
        required_contexts: [],
        production_environment: production,
        transient_environment: p.transient ?? false,
        payload: p.payload ?? {},
        task: p.task ?? 'deploy',
        request: { signal }
      })
    )
    if (value.status !== 201 || !('id' in value.data)) {
      throw new Error(`create deployment: GitHub answered ${value.status} without a deployment`)
    }
    const d = value.data
    return { id: d.id, url: d.url, environment: d.environment, ref: d.ref, sha: d.sha, attempts }
  }

  /** POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses */
  async createDeploymentStatus(p: CreateDeploymentStatusParams): Promise<DeploymentStatus & { attempts: number }> {
    const { value, attempts } = await this.call('create deployment status', (signal) =>
      this.octokit.rest.repos.createDeploymentStatus({
        owner: this.owner,
        repo: this.repo,
        deployment_id: p.deploymentId,
        state: p.state,
        ...(p.environmentUrl ? { environment_url: p.environmentUrl } : {}),
        log_url: p.logUrl ?? runUrl() ?? '',
        description: clip(p.description, DESCRIPTION_LIMIT) ?? '',
        ...(p.environment ? { environment: p.environment } : {}),
        auto_inactive: p.autoInactive ?? true,
        request: { signal }
      })
    )
    return { id: value.data.id, state: value.data.state, url: value.data.url, attempts }
  }
}

/** One-shot helpers for callers that make a single call. */
export async function createDeployment(
  options: GitHubClientOptions,
  params: CreateDeploymentParams
): Promise<Deployment & { attempts: number }> {
  return new GitHubDeployments(options).createDeployment(params)
}

export async function createDeploymentStatus(
  options: GitHubClientOptions,
  params: CreateDeploymentStatusParams
): Promise<DeploymentStatus & { attempts: number }> {
  return new GitHubDeployments(options).createDeploymentStatus(params)
}
