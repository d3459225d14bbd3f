/**
 * The four keys over a window, from the deployments of one or more
 * environments (docs/insights.md). `undefined` is `n/a`: missing data is never
 * shown as 0; only the frequency is 0 when there were no deployments.
 */
import type { Deployment } from './deployments.js'
import {
  failureRateLevel,
  frequencyLevel,
  leadTimeLevel,
  lowest,
  restoreLevel,
  type Level,
  type OverallLevel
} from './levels.js'

export interface Commit {
  sha: string
  /** ISO time the commit was made (committer time). */
  at: string
}

/**
 * The commits a release brings over the one before it (`previousSha..sha`, or
 * just `sha` without a previous one); undefined when unknown (no checkout, a
 * shallow one, a sha not in it).
 */
export type CommitLookup = (sha: string, previousSha: string | undefined) => readonly Commit[] | undefined

export interface Keys {
  deployments: number
  /** Deploys per day over the window. */
  deploymentFrequency: number
  /** Median of (activation − commit time) over the commits first shipped in the window, ms. */
  leadTime?: number
  /** Failed deployments ÷ deployments (by release id). */
  changeFailureRate?: number
  /** Median of (restoring switch − failed activation), ms. */
  timeToRestore?: number
  levels: {
    deploymentFrequency: Level
    leadTime?: Level
    changeFailureRate?: Level
    timeToRestore?: Level
  }
  level: OverallLevel
}

/** A deployment with its lead times (ms per commit first shipped by it); undefined when its commits are unknown. */
export interface DeploymentLead {
  deployment: Deployment
  leads?: number[]
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined
  const s = [...values].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

const ms = (iso: string) => Date.parse(iso)

/**
 * Lead times per deployment, oldest first: each commit counts once, for the
 * first release that shipped it (a redeploy of the same sha, or a release after
 * a rollback, ships nothing new for the commits already out).
 */
export function leadTimes(deployments: readonly Deployment[], commits: CommitLookup | undefined): DeploymentLead[] {
  const shipped = new Set<string>()
  return deployments.map((d) => {
    const list = commits && d.sha ? commits(d.sha, d.previousSha) : undefined
    if (list === undefined) return { deployment: d }
    const fresh = list.filter((c) => !shipped.has(c.sha))
    for (const c of list) shipped.add(c.sha)
    return { deployment: d, leads: fresh.map((c) => ms(d.activatedAt) - ms(c.at)) }
  })
}

/** The four keys of the deployments activated in (from, to]; `leads` from leadTimes(). */
export function fourKeys(leads: readonly DeploymentLead[], windowMs: number): Keys {
  const n = leads.length
  const perDay = n / (windowMs / 86_400_000)
  const commitLeads = leads.flatMap((l) => l.leads ?? [])
  const leadTime = median(commitLeads)
  const failed = leads.filter((l) => l.deployment.failed)
  const changeFailureRate = n === 0 ? undefined : failed.length / n
  const timeToRestore = median(
    failed.flatMap((l) => (l.deployment.restoredAt ? [ms(l.deployment.restoredAt) - ms(l.deployment.activatedAt)] : []))
  )
  const levels = {
    deploymentFrequency: frequencyLevel(perDay),
    ...(leadTime === undefined ? {} : { leadTime: leadTimeLevel(leadTime) }),
    ...(changeFailureRate === undefined ? {} : { changeFailureRate: failureRateLevel(changeFailureRate) }),
    ...(timeToRestore === undefined ? {} : { timeToRestore: restoreLevel(timeToRestore) })
  }
  return {
    deployments: n,
    deploymentFrequency: perDay,
    ...(leadTime === undefined ? {} : { leadTime }),
    ...(changeFailureRate === undefined ? {} : { changeFailureRate }),
    ...(timeToRestore === undefined ? {} : { timeToRestore }),
    levels,
    level: lowest([levels.deploymentFrequency, levels.leadTime, levels.changeFailureRate, levels.timeToRestore])
  }
}
