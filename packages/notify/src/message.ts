/**
 * One message, built once from `status` and the GitHub context, then rendered
 * by each channel: the same facts everywhere, colour and emoji by status.
 */
import { runUrl, type NotifyStatus } from './github-deployments.js'

export const STATUSES = [
  'started',
  'success',
  'failure',
  'cancelled',
  'rolled-back'
] as const satisfies readonly NotifyStatus[]

export interface Fact {
  label: string
  value: string
  /** When the value links somewhere (commit, run, environment). */
  url?: string
}

export interface Message {
  status: NotifyStatus
  emoji: string
  /** `#rrggbb`. */
  color: string
  /** Adaptive Card's named colours for the title. */
  teamsColor: 'Accent' | 'Good' | 'Attention' | 'Default' | 'Warning'
  title: string
  text: string
  facts: Fact[]
  runUrl?: string
  environmentUrl?: string
  /** ISO time the message was built. */
  timestamp: string
  /** The raw facts, for the generic webhook's JSON body. */
  context: NotifyContext
}

export interface NotifyContext {
  repository?: string
  ref?: string
  sha?: string
  actor?: string
  workflow?: string
  runNumber?: string
  /** GITHUB_RUN_ID and GITHUB_RUN_ATTEMPT: what names one deployment's thread (email). */
  runId?: string
  runAttempt?: string
  runUrl?: string
  commitUrl?: string
  environment?: string
  releaseId?: string
  environmentUrl?: string
  /** Since `started` was notified in this job, when it was. */
  durationMs?: number
}

const LOOK: Record<NotifyStatus, Pick<Message, 'emoji' | 'color' | 'teamsColor'>> = {
  started: { emoji: '🚀', color: '#1f6feb', teamsColor: 'Accent' },
  success: { emoji: '✅', color: '#1a7f37', teamsColor: 'Good' },
  failure: { emoji: '❌', color: '#cf222e', teamsColor: 'Attention' },
  cancelled: { emoji: '⚪', color: '#6e7781', teamsColor: 'Default' },
  'rolled-back': { emoji: '↩️', color: '#bf8700', teamsColor: 'Warning' }
}

/** The facts GitHub gives every step, read from the runner's variables. */
export function contextFromEnv(env: NodeJS.ProcessEnv = process.env): NotifyContext {
  const server = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '')
  const repository = env.GITHUB_REPOSITORY || undefined
  const sha = env.GITHUB_SHA || undefined
  return {
    repository,
    // On pull_request events GITHUB_REF_NAME is `42/merge`; the branch is more useful.
    ref: env.GITHUB_HEAD_REF || env.GITHUB_REF_NAME || undefined,
    sha,
    actor: env.GITHUB_TRIGGERING_ACTOR || env.GITHUB_ACTOR || undefined,
    workflow: env.GITHUB_WORKFLOW || undefined,
    runNumber: env.GITHUB_RUN_NUMBER || undefined,
    runId: env.GITHUB_RUN_ID || undefined,
    runAttempt: env.GITHUB_RUN_ATTEMPT || undefined,
    runUrl: runUrl(env),
    commitUrl: repository && sha ? `${server}/${repository}/commit/${sha}` : undefined
  }
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m ${s % 60}s`
  return `${Math.floor(m / 60)}h ${m % 60}m`
}

function defaultTitle(status: NotifyStatus, c: NotifyContext): string {
  const what = c.repository ?? 'the deployment'
  const where = c.environment ? ` to ${c.environment}` : ''
  const on = c.environment ? ` on ${c.environment}` : ''
  switch (status) {
    case 'started':
      return `Deploying ${what}${where}`
    case 'success':
      return `Deployed ${what}${where}`
    case 'failure':
      return `Deployment of ${what}${where} failed`
    case 'cancelled':
      return `Deployment of ${what}${where} cancelled`
    case 'rolled-back':
      return `Rolled back ${what}${on}`
  }
}

function defaultText(status: NotifyStatus, c: NotifyContext): string {
  const sha7 = c.sha?.slice(0, 7)
  const what = c.releaseId ? `release ${c.releaseId}` : sha7 ? `${c.ref ? `${c.ref}@` : ''}${sha7}` : 'this commit'
  const by = c.actor ? ` by ${c.actor}` : ''
  const took = c.durationMs !== undefined ? ` after ${formatDuration(c.durationMs)}` : ''
  switch (status) {
    case 'started':
      return `Deployment of ${what} started${by}.`
    case 'success':
      return `${cap(what)} is live${took}.`
    case 'failure':
      return `Deployment of ${what} failed${took}.`
    case 'cancelled':
      return `Deployment of ${what} was cancelled${took}.`
    case 'rolled-back':
      return `${cap(what)} was rolled back${took}: it is no longer serving.`
  }
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1)
}

export interface MessageInput {
  status: NotifyStatus
  title?: string
  message?: string
  environment?: string
  releaseId?: string
  environmentUrl?: string
  durationMs?: number
}

export function buildMessage(input: MessageInput, base: NotifyContext = contextFromEnv(), now = new Date()): Message {
  const c: NotifyContext = {
    ...base,
    environment: input.environment,
    releaseId: input.releaseId,
    environmentUrl: input.environmentUrl,
    durationMs: input.durationMs
  }
  const look = LOOK[input.status]
  const facts: Fact[] = []
  const add = (label: string, value: string | undefined, url?: string) => {
    if (value) facts.push(url ? { label, value, url } : { label, value })
  }
  add('Status', `${look.emoji} ${input.status}`)
  add('Repository', c.repository)
  add('Environment', c.environment, c.environmentUrl)
  add('Release', c.releaseId)
  add('Ref', c.ref)
  add('Commit', c.sha?.slice(0, 7), c.commitUrl)
  add('Actor', c.actor)
  add('Duration', c.durationMs !== undefined ? formatDuration(c.durationMs) : undefined)
  add('Run', c.runUrl ? `${c.workflow ?? 'workflow'} #${c.runNumber ?? '?'}` : undefined, c.runUrl)
  return {
    status: input.status,
    ...look,
    title: input.title || `${look.emoji} ${defaultTitle(input.status, c)}`,
    text: input.message || defaultText(input.status, c),
    facts,
    runUrl: c.runUrl,
    environmentUrl: c.environmentUrl,
    timestamp: now.toISOString(),
    context: c
  }
}

/**
 * Cuts to at most n UTF-16 units (the stricter way to count a provider's
 * "characters"), never splitting a surrogate pair, and marks the cut with …
 */
export function clip(s: string, n: number): string {
  if (s.length <= n) return s
  let end = Math.max(0, n - 1)
  const code = s.charCodeAt(end - 1)
  if (code >= 0xd800 && code <= 0xdbff) end-- // a high surrogate whose pair would be cut off
  return `${s.slice(0, end)}…`
}
