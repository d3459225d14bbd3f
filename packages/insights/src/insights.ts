/** The delivery record of one or more environments over a window: the four keys, per environment and overall. */
import { environmentDeployments, type Deployment } from './deployments.js'
import { fourKeys, leadTimes, median, type CommitLookup, type DeploymentLead, type Keys } from './keys.js'
import type { HostRecord } from './read.js'

export interface EnvironmentRecord {
  name: string
  /** One record per host (several `name=path` lines with the same name). */
  hosts: HostRecord[]
}

export interface InsightsOptions {
  windowMs: number
  now?: Date
  commits?: CommitLookup
}

export interface Week {
  /** Monday 00:00 UTC of the week. */
  start: string
  deployments: number
  failures: number
}

export interface Insights {
  window: { from: string; to: string; ms: number }
  keys: Keys
  environments: Array<{ name: string; keys: Keys }>
  /** The deployments in the window, oldest first, with each one's lead times. */
  deployments: Array<DeploymentLead & { leadTime?: number }>
  weeks: Week[]
}

const WEEK = 7 * 86_400_000

function mondayOf(t: number): number {
  const d = new Date(t)
  const day = (d.getUTCDay() + 6) % 7
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day)
}

function weeks(leads: readonly DeploymentLead[], from: number, to: number): Week[] {
  const out: Week[] = []
  for (let w = mondayOf(from); w <= to; w += WEEK) {
    const inWeek = leads.filter((l) => {
      const t = Date.parse(l.deployment.activatedAt)
      return t >= w && t < w + WEEK
    })
    out.push({
      start: new Date(w).toISOString(),
      deployments: inWeek.length,
      failures: inWeek.filter((l) => l.deployment.failed).length
    })
  }
  return out
}

export function insights(envs: readonly EnvironmentRecord[], o: InsightsOptions): Insights {
  const to = (o.now ?? new Date()).getTime()
  const from = to - o.windowMs
  const inWindow = (d: Deployment) => {
    const t = Date.parse(d.activatedAt)
    return t > from && t <= to
  }
  const per = envs.map((e) => {
    // Lead times over every deployment, so a commit counts for the first release that ever shipped it.
    const leads = leadTimes(environmentDeployments(e.name, e.hosts), o.commits).filter((l) => inWindow(l.deployment))
    return { name: e.name, leads }
  })
  const all = per.flatMap((p) => p.leads).sort((a, b) => (a.deployment.activatedAt < b.deployment.activatedAt ? -1 : 1))
  return {
    window: { from: new Date(from).toISOString(), to: new Date(to).toISOString(), ms: o.windowMs },
    keys: fourKeys(all, o.windowMs),
    environments: per.map((p) => ({ name: p.name, keys: fourKeys(p.leads, o.windowMs) })),
    deployments: all.map((l) => {
      const m = l.leads ? median(l.leads) : undefined
      return m === undefined ? l : { ...l, leadTime: m }
    }),
    weeks: weeks(all, from, to)
  }
}
