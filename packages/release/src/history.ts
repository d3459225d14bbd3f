/**
 * `<path>/.gantry/history.json`: the releases a target has had, in the order
 * they were created, with their good/bad marks, and the events (deploys,
 * rollbacks, prunes) with who and why. Pure functions here; targets only read
 * and write the file.
 */

/** `unknown`: a record rebuilt from the release directories after history.json was lost (see loadHistory). */
export type ReleaseStatus = 'good' | 'bad' | 'unknown'

export interface Mark {
  reason: string
  actor?: string
  run?: string
  at: string
}

export interface ReleaseRecord {
  id: string
  createdAt: string
  status: ReleaseStatus
  /** Set when the release first became current: only such releases are rollback targets. */
  activatedAt?: string
  /** The full commit sha (GITHUB_SHA). */
  sha?: string
  /** The release the target ran when this one was made (current, or the slot's), and its sha. */
  previous?: string
  previousSha?: string
  ref?: string
  run?: string
  actor?: string
  environment?: string
  githubDeploymentId?: number
  files?: number
  bytes?: number
  linked?: number
  copied?: number
  bad?: Mark
  /** Set when pruned: the record stays so the history reads whole. */
  prunedAt?: string
}

export type EventKind = 'deploy' | 'rollback' | 'mark-bad' | 'prune' | 'activate-failed' | 'switch-back' | 'clean'

export interface HistoryEvent {
  at: string
  kind: EventKind
  from?: string
  to?: string
  releases?: string[]
  reason?: string
  actor?: string
  run?: string
  /**
   * The slot the event linked (`slots/<slot>`), when it was a slot's and not
   * `current`'s. Absent in histories written before slots: those events are `current`'s.
   */
  slot?: string
}

export interface History {
  version: 1
  releases: ReleaseRecord[]
  events: HistoryEvent[]
}

/** Events kept in the file (the oldest are dropped). */
export const MAX_EVENTS = 500
/** Records of pruned releases kept (the oldest are dropped, so the file stays small). */
export const MAX_PRUNED = 200

/** Drops the oldest records of pruned releases beyond MAX_PRUNED. */
export function trimPruned(h: History): void {
  const pruned = h.releases.filter((r) => r.prunedAt)
  if (pruned.length <= MAX_PRUNED) return
  const drop = new Set(pruned.slice(0, pruned.length - MAX_PRUNED).map((r) => r.id))
  h.releases = h.releases.filter((r) => !drop.has(r.id))
}

export function emptyHistory(): History {
  return { version: 1, releases: [], events: [] }
}

/** history.json holds JSON, but not a history Gantry can use (a bad hand edit): fixed by a person, never guessed. */
export class HistoryError extends Error {}

/** history.json is not JSON at all (a short write, a crash of another tool): loadHistory() keeps it aside and rebuilds. */
export class HistoryUnparseable extends HistoryError {
  constructor(readonly reason: string) {
    super(`history.json is not valid JSON (${reason})`)
  }
}

const STATUSES: ReadonlySet<string> = new Set(['good', 'bad', 'unknown'])

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const shown = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v)

export function parseHistory(text: string): History {
  let h: History
  try {
    h = JSON.parse(text) as History
  } catch (e) {
    throw new HistoryUnparseable((e as Error).message)
  }
  if (!h || h.version !== 1 || !Array.isArray(h.releases) || !Array.isArray(h.events)) {
    throw new HistoryError('history.json is not a Gantry history (expected {"version": 1, "releases": [...]})')
  }
  // Every later step reads these fields: one entry that lacks them is named here, not met as a TypeError.
  h.releases.forEach((r: unknown, i) => {
    if (!isObject(r))
      throw new HistoryError(`releases[${i}] is ${shown(r)}, expected a release record ({"id": …, "status": …})`)
    if (typeof r.id !== 'string' || !STATUSES.has(r.status as string))
      throw new HistoryError(
        `releases[${i}] has id ${JSON.stringify(r.id)} and status ${JSON.stringify(r.status)}, expected a string id and status good, bad or unknown`
      )
  })
  h.events.forEach((e: unknown, i) => {
    if (!isObject(e) || typeof e.kind !== 'string')
      throw new HistoryError(`events[${i}] is ${shown(e)}, expected an event ({"at": …, "kind": …})`)
  })
  return h
}

/**
 * A minimal history from what is on disk: every release directory (in id order:
 * default ids are UTC timestamps) with its good/bad mark unknown, `current`
 * marked activated. A rollback then verifies its target's directory as always.
 */
export function rebuildHistory(onDisk: readonly string[], current: string | undefined, at: string): History {
  const h = emptyHistory()
  for (const id of [...onDisk].sort())
    h.releases.push({ id, createdAt: at, status: 'unknown', ...(id === current ? { activatedAt: at } : {}) })
  return h
}

export function findRelease(h: History, id: string): ReleaseRecord | undefined {
  return h.releases.find((r) => r.id === id)
}

export function addEvent(h: History, e: HistoryEvent): void {
  h.events.push(e)
  if (h.events.length > MAX_EVENTS) h.events.splice(0, h.events.length - MAX_EVENTS)
}

export function markBad(h: History, id: string, mark: Mark): void {
  const r = findRelease(h, id)
  if (!r) return
  r.status = 'bad'
  r.bad = mark
  addEvent(h, { at: mark.at, kind: 'mark-bad', from: id, reason: mark.reason, actor: mark.actor, run: mark.run })
}

/** Releases present on disk and not pruned, oldest first (history order, then unknown ones by id). */
function live(h: History, onDisk: ReadonlySet<string>): ReleaseRecord[] {
  return h.releases.filter((r) => !r.prunedAt && onDisk.has(r.id))
}

/**
 * The release a rollback goes to: the newest good, once-activated release
 * created before `current` (before everything, when current is unknown to the
 * history), that still exists on disk.
 */
export function rollbackTarget(
  h: History,
  current: string | undefined,
  onDisk: ReadonlySet<string>
): string | undefined {
  const rs = live(h, onDisk)
  const at = current === undefined ? -1 : rs.findIndex((r) => r.id === current)
  const older = at < 0 ? rs : rs.slice(0, at)
  for (let i = older.length - 1; i >= 0; i--) {
    const r = older[i]
    // An unknown mark (a rebuilt history) does not block a rollback: the target's directory is verified first.
    if (((r.status === 'good' && r.activatedAt) || r.status === 'unknown') && r.id !== current) return r.id
  }
  return undefined
}

/** Events that (re)linked a slot, each naming the release the slot then held in `to`. */
const SLOT_LINKS: ReadonlySet<EventKind> = new Set(['deploy', 'rollback', 'activate-failed', 'switch-back'])

/**
 * The release a rollback of slot `slot` goes to: walking that slot's history
 * (the events recorded with it) back from the last time it was linked to
 * `current`, the newest release it held before that is not marked bad and is
 * still on disk. Undefined when there is none (a history rebuilt after it was
 * lost has no events: name the release with `to` then).
 */
export function slotRollbackTarget(
  h: History,
  slot: string,
  current: string | undefined,
  onDisk: ReadonlySet<string>
): string | undefined {
  const held = h.events.filter((e) => e.slot === slot && SLOT_LINKS.has(e.kind) && e.to).map((e) => e.to!)
  const at = current === undefined ? -1 : held.lastIndexOf(current)
  for (let i = (at < 0 ? held.length : at) - 1; i >= 0; i--) {
    const id = held[i]
    if (id === current || !onDisk.has(id)) continue
    const r = findRelease(h, id)
    if (r?.prunedAt || r?.status === 'bad') continue
    return id
  }
  return undefined
}

/** The newest good, once-activated release on disk. */
export function newestGood(h: History, onDisk: ReadonlySet<string>): string | undefined {
  const rs = live(h, onDisk)
  for (let i = rs.length - 1; i >= 0; i--) if (rs[i].status === 'good' && rs[i].activatedAt) return rs[i].id
  return undefined
}

/**
 * Which releases to remove so that `keep` remain. Never the current release,
 * the newest good one, or the one a rollback would go to now; never a release a
 * slot links to (`slots` maps slot names to release ids) or the one that slot's
 * rollback would go to; releases the history does not know are left alone
 * (someone put them there).
 */
export function pruneList(
  h: History,
  current: string | undefined,
  onDisk: ReadonlySet<string>,
  keep: number,
  slots: Readonly<Record<string, string>> = {}
): string[] {
  const rs = live(h, onDisk)
  const protect = new Set<string>()
  if (current) protect.add(current)
  for (const [slot, id] of Object.entries(slots)) {
    protect.add(id)
    const back = slotRollbackTarget(h, slot, id, onDisk)
    if (back) protect.add(back)
  }
  const good = newestGood(h, onDisk)
  if (good) protect.add(good)
  const back = rollbackTarget(h, current, onDisk)
  if (back) protect.add(back)
  let excess = rs.length - keep
  const out: string[] = []
  // Oldest first; protected ones count towards keep but are never removed.
  for (const r of rs) {
    if (excess <= 0) break
    if (protect.has(r.id)) continue
    out.push(r.id)
    excess--
  }
  return out
}
