/**
 * Deployments of one environment from its hosts' records (docs/insights.md has
 * the definitions): a deployment is a release reaching 100% of the traffic —
 * the switch of `current`, or a slot reaching 100% in traffic.json — for the
 * first time; a rollback (or any return to a release that had the traffic
 * before) restores, it is not a deployment. Hosts are merged by release id.
 */
import type { HistoryEvent, TrafficChange } from '@gantry/release'
import type { HostRecord } from './read.js'

/** One change of which release has all of a host's traffic. */
interface Switch {
  at: string
  release: string
  /** A rollback, a failed activation switched back, or a traffic move back (reason `rollback…`, `weights: previous`). */
  restore: boolean
  reason?: string
  actor?: string
}

export interface Deployment {
  environment: string
  release: string
  /** When the last host switched to it: from then on it had all of the environment's traffic. */
  activatedAt: string
  sha?: string
  /** The sha the hosts ran before (the record's previousSha, else the release switched from). */
  previousSha?: string
  /** Rolled back, or marked bad, on any host. */
  failed: boolean
  /** Why it failed (the rollback's or the bad mark's reason) and who said so. */
  reason?: string
  actor?: string
  /** When the last host switched away from it (only for a failed deployment). */
  restoredAt?: string
  /** The release traffic went to then. */
  restoredTo?: string
}

const RESTORES: ReadonlySet<HistoryEvent['kind']> = new Set(['rollback', 'activate-failed', 'switch-back'])
const TRAFFIC_BACK = /^(rollback\b|weights: previous$)/

/** The release slot `slot` held at `at`, from the slot's events. */
function slotRelease(events: readonly HistoryEvent[], slot: string, at: string): string | undefined {
  let held: string | undefined
  for (const e of events) {
    if (e.at > at) break
    if (e.slot === slot && e.to && (e.kind === 'deploy' || RESTORES.has(e.kind))) held = e.to
  }
  return held
}

function trafficSwitch(events: readonly HistoryEvent[], c: TrafficChange): Switch | undefined {
  const full = Object.entries(c.weights).find(([, w]) => w === 100)?.[0]
  if (full === undefined) return undefined
  const release = c.release ?? slotRelease(events, full, c.at)
  if (release === undefined) return undefined
  return { at: c.at, release, restore: TRAFFIC_BACK.test(c.reason ?? ''), reason: c.reason, actor: c.actor }
}

function switches(h: HostRecord): Switch[] {
  const out: Switch[] = []
  for (const e of h.events) {
    // A slot's own link is not traffic: traffic.json says when a slot reached 100%.
    if (e.slot || !e.to) continue
    if (e.kind === 'deploy') out.push({ at: e.at, release: e.to, restore: false })
    else if (RESTORES.has(e.kind))
      out.push({ at: e.at, release: e.to, restore: true, reason: e.reason, actor: e.actor })
  }
  for (const c of h.traffic) {
    const s = trafficSwitch(h.events, c)
    if (s) out.push(s)
  }
  return out.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
}

interface HostDeployment {
  activatedAt: string
  from?: string
  rolledBack?: { reason?: string; actor?: string }
  leftAt?: string
  leftTo?: string
}

/** One host: each release's first activation, and when (and how) traffic first left it. */
function hostDeployments(h: HostRecord): Map<string, HostDeployment> {
  const out = new Map<string, HostDeployment>()
  let current: string | undefined
  for (const s of switches(h)) {
    if (s.release === current) continue
    const prev = current === undefined ? undefined : out.get(current)
    const back = s.restore || out.has(s.release)
    if (prev && prev.leftAt === undefined) {
      prev.leftAt = s.at
      prev.leftTo = s.release
      if (back) prev.rolledBack = { reason: s.reason, actor: s.actor }
    }
    if (!back) out.set(s.release, { activatedAt: s.at, from: current })
    current = s.release
  }
  return out
}

const later = (a: string | undefined, b: string | undefined) =>
  a === undefined ? b : b === undefined ? a : a > b ? a : b

/** The deployments of one environment, oldest first, merged over its hosts by release id. */
export function environmentDeployments(environment: string, hosts: readonly HostRecord[]): Deployment[] {
  const perHost = hosts.map(hostDeployments)
  const records = new Map(hosts.flatMap((h) => h.releases.map((r) => [r.id, r] as const)))
  const marks = new Map<string, HistoryEvent>()
  for (const h of hosts)
    for (const e of h.events) if (e.kind === 'mark-bad' && e.from && !marks.has(e.from)) marks.set(e.from, e)
  const ids = new Set(perHost.flatMap((m) => [...m.keys()]))
  const out: Deployment[] = []
  for (const id of ids) {
    const on = perHost.flatMap((m) => m.get(id) ?? [])
    const record = records.get(id)
    const activatedAt = on.map((d) => d.activatedAt).reduce((a, b) => (a > b ? a : b))
    const rolled = on.find((d) => d.rolledBack)?.rolledBack
    const mark = marks.get(id)
    const bad = hosts.map((h) => h.releases.find((r) => r.id === id)?.bad).find(Boolean)
    const failed = rolled !== undefined || mark !== undefined || record?.status === 'bad'
    const from = on.find((d) => d.from)?.from
    // Restored when every host that ran it moved on; the time is the last host's.
    const restoredAt = failed && on.every((d) => d.leftAt) ? on.map((d) => d.leftAt).reduce(later) : undefined
    out.push({
      environment,
      release: id,
      activatedAt,
      ...(record?.sha ? { sha: record.sha } : {}),
      ...((record?.previousSha ?? (from && records.get(from)?.sha))
        ? { previousSha: record?.previousSha ?? records.get(from!)?.sha }
        : {}),
      failed,
      ...(failed
        ? {
            reason: rolled?.reason ?? mark?.reason ?? bad?.reason,
            actor: rolled?.actor ?? mark?.actor ?? bad?.actor
          }
        : {}),
      ...(restoredAt ? { restoredAt, restoredTo: on.find((d) => d.leftAt === restoredAt)?.leftTo } : {})
    })
  }
  return out.sort((a, b) => (a.activatedAt < b.activatedAt ? -1 : a.activatedAt > b.activatedAt ? 1 : 0))
}
