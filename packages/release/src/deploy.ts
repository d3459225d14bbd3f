/**
 * A deploy, the same on every target: lock → clean what a crash left → write
 * the release (hard-linking unchanged files) and verify it → switch every host
 * (switching all back if one fails) → activate → prune. The previous release
 * serves until the switch; a crash anywhere leaves `current` on a complete,
 * verified release.
 */
import { mapPoolSettled, type Progress } from '@gantry/core'
import { eachHost } from './each-host.js'
import { addEvent, findRelease, markBad, pruneList, trimPruned, type History, type ReleaseRecord } from './history.js'
import { loadHistory } from './history-load.js'
import { defaultReleaseId, uniqueId } from './id.js'
import { acquireLock } from './lock.js'
import type { Manifest } from './manifest.js'
import { prepareSource, type PreparedSource } from './prepare-source.js'
import type { ActivateResult, PrepareResult, Target } from './target.js'
import { phaseTimer } from './phases.js'
import { resolveSlot } from './slots.js'

export class DeployError extends Error {}

export interface RunContext {
  sha?: string
  ref?: string
  run?: string
  actor?: string
}

export interface LockSettings {
  ttlMs: number
  waitMs: number
  refreshMs?: number
}

/**
 * One host as a rollout sees it: its names, and the two operations a rolling
 * deploy orders (deploy() keeps the history of both on every host).
 */
export interface RolloutHost {
  /** The target's name (`deploy@web1:/srv/app`). */
  name: string
  /** The router's server name (Target.serverName; the target's name when it has none). */
  serverName: string
  /** The host part of its hosts line (Target.hostAddress), when the target has one. */
  hostAddress?: string
  /** What the switched link named before (undefined on a first deploy). */
  previous?: string
  /**
   * Switches this host to the release and runs `activate` there (as deploy() does for
   * each host); throws a DeployError naming the host and why. The deploy event is
   * recorded once the switch is done, before activate runs.
   */
  switch(): Promise<void>
  /** Switches this host back to `previous`; false when there is none (a first deploy); a no-op when not switched. */
  back(): Promise<boolean>
  /** Whether the host is switched to the release now. */
  readonly switched: boolean
}

/**
 * Replaces "switch every host, then activate each" with the caller's order
 * (rolling: batches behind a router). It must switch every host or throw; when
 * it throws, deploy() switches back any host still on the release (but one
 * whose back() the rollout called: its message says why that host is not),
 * marks the release bad and records a 'switch-back' on every host, then
 * throws a DeployError with the rollout's message.
 */
export type Rollout = (hosts: RolloutHost[]) => Promise<void>

export interface DeployOptions {
  targets: Target[]
  source: string
  /** Explicit id; default `<UTC stamp>-<sha7>`, made unique. */
  releaseId?: string
  keep: number
  shared: string[]
  activate?: string[]
  activateTimeoutMs: number
  /**
   * Link the release as `slots/<slot>` instead of switching `current` (which is
   * then untouched); `idle` is the slot with 0% of the traffic (resolveSlot()).
   */
  slot?: string
  environment?: string
  /** Recorded with the release, so a later rollback can mark that deployment failed. */
  githubDeploymentId?: number
  /** Where a tarball is extracted (RUNNER_TEMP). */
  tmpDir: string
  /** Ship a source without files (refused otherwise: an empty release going live is nearly always a build gone wrong). */
  allowEmpty?: boolean
  /** The source already checked and read (prepareSource()); deploy() then leaves its disposal to the caller. */
  prepared?: PreparedSource
  /** Warnings that do not fail the deploy (a prune that could not finish, a history rebuilt); default: log. */
  warn?: (line: string) => void
  context: RunContext
  lock: LockSettings
  log: (line: string) => void
  /** Progress lines: each host's upload and lock wait, on every change and at least every 10 s. */
  progress?: Progress
  now?: () => Date
  /** Orders the switch and activation of the hosts (a rolling deploy); default: switch all, then activate each. */
  rollout?: Rollout
}

export interface TargetOutcome {
  target: string
  /** What the switched link (`current`, or the slot's) named before. */
  previous?: string
  prepared?: PrepareResult
  cleaned: string[]
  pruned: string[]
  activate?: ActivateResult
}

export interface DeployResult {
  id: string
  /** The release the switched link named before: `current`'s, or with a slot that slot's. */
  previous?: string
  /** The slot linked (`idle` resolved), undefined when `current` was switched. */
  slot?: string
  path: string
  manifest: { files: number; bytes: number }
  targets: TargetOutcome[]
  timings: Record<string, number>
  /** Set when the deploy failed after the switch and was switched back. */
  switchedBack?: boolean
}

interface TargetState {
  t: Target
  history: History
  current?: string
  /** What the link this deploy switches named before: `current`, or the slot's. */
  previous?: string
  onDisk: Set<string>
  outcome: TargetOutcome
}

/** Adds the parent directories of shared paths the source lacks, so the release can hold the links. */
function withSharedParents(m: Manifest): Manifest {
  for (const s of m.shared) {
    const parts = s.split('/')
    for (let i = 1; i < parts.length; i++) {
      const p = parts.slice(0, i).join('/')
      if (!m.entries[p]) m.entries[p] = { type: 'dir', mode: 0o755 }
    }
  }
  return m
}

export async function deploy(o: DeployOptions): Promise<DeployResult> {
  const now = o.now ?? (() => new Date())
  const { timings, time } = phaseTimer()

  const src = o.prepared ?? (await prepareSource(o))
  Object.assign(timings, src.timings)
  try {
    const { dir, cached } = src
    const manifest = withSharedParents(src.manifest)
    // Read only: `idle` that names no slot fails before anything is created.
    const slot = await resolveSlot(o.targets, o.slot)
    await eachHost(o.targets, { log: o.log, warn: o.warn ?? o.log }, (t) => t.init())
    const lock = await time('lock', () =>
      acquireLock(o.targets, `deploy${o.releaseId ? ` ${o.releaseId}` : ''}`, {
        ...o.lock,
        log: o.log,
        progress: o.progress
      })
    )
    try {
      return await locked({ ...o, slot }, dir, manifest, cached, now, time, timings)
    } finally {
      await lock.release()
    }
  } finally {
    if (!o.prepared) src.dispose()
  }
}

/** Hosts uploading at once: each is an rsync over its own ssh connection. */
const UPLOAD_CONCURRENCY = 4

async function locked(
  o: DeployOptions,
  sourceDir: string,
  manifest: Manifest,
  cached: { id: string; manifest: Manifest } | undefined,
  now: () => Date,
  time: <T>(name: string, f: () => Promise<T>) => Promise<T>,
  timings: Record<string, number>
): Promise<DeployResult> {
  const warn = o.warn ?? o.log
  const out = { log: o.log, warn }
  // Every history first: one that cannot be used stops the deploy before any release is cleaned or written.
  const histories = await eachHost(o.targets, out, (t, lines) => loadHistory(t, lines.warn, now()))
  const states = await eachHost(o.targets, out, async (t, lines, i): Promise<TargetState> => {
    const history = histories[i]
    const clean = await t.cleanPartials()
    const cleaned = clean.partials
    if (cleaned.length) lines.log(`${t.name}: removed what an interrupted run left: ${cleaned.join(', ')}`)
    // Left for the next run to try again; never a reason to fail this one.
    if (clean.failed?.length)
      lines.warn(
        `${t.name}: could not remove what an interrupted run left: ${clean.failed.join(', ')}; remove it by hand`
      )
    // Recorded with the next history write (before the release is written).
    if (cleaned.length)
      addEvent(history, { at: now().toISOString(), kind: 'clean', releases: cleaned, run: o.context.run })
    const current = await t.current()
    const previous = o.slot ? await t.slot(o.slot) : current
    const onDisk = new Set(await t.listReleases())
    return { t, history, current, previous, onDisk, outcome: { target: t.name, previous, cleaned, pruned: [] } }
  })

  // The id: never reused, on any host.
  const taken = new Set<string>()
  for (const s of states) {
    for (const id of s.onDisk) taken.add(id)
    for (const r of s.history.releases) taken.add(r.id)
  }
  let id: string
  if (o.releaseId) {
    if (taken.has(o.releaseId)) {
      const where = states.find((s) => s.onDisk.has(o.releaseId!) || findRelease(s.history, o.releaseId!))
      throw new DeployError(
        `release-id '${o.releaseId}' already exists on ${where?.t.name}; release ids are never reused (leave release-id empty for a fresh one)`
      )
    }
    id = o.releaseId
  } else {
    id = uniqueId(defaultReleaseId(now(), o.context.sha), taken)
  }
  const previous = states[0].previous
  const link = o.slot ? `slot ${o.slot}` : 'current'
  o.log(`release ${id} (${manifest.files} files, ${manifest.bytes} bytes); ${link}: ${previous ?? 'none'}`)

  // Record the release before it exists: a crash then leaves a record without a
  // directory (harmless) rather than a directory nobody knows about.
  const record = (): ReleaseRecord => ({
    id,
    createdAt: now().toISOString(),
    status: 'good',
    sha: o.context.sha,
    ref: o.context.ref,
    run: o.context.run,
    actor: o.context.actor,
    environment: o.environment,
    githubDeploymentId: o.githubDeploymentId,
    files: manifest.files,
    bytes: manifest.bytes
  })
  await time('prepare', async () => {
    const prepareHost = async (s: TargetState): Promise<void> => {
      s.history.releases.push(record())
      await s.t.writeHistory(s.history)
      const linkFrom = await linkSource(s, s === states[0] ? cached : undefined)
      try {
        s.outcome.prepared = await s.t.prepare({ id, sourceDir, manifest, linkFrom, shared: o.shared })
      } catch (e) {
        s.history.releases = s.history.releases.filter((r) => r.id !== id)
        await s.t.writeHistory(s.history)
        throw e
      }
      s.onDisk.add(id)
      const r = findRelease(s.history, id)!
      Object.assign(r, { linked: s.outcome.prepared.linked, copied: s.outcome.prepared.copied })
    }
    // Hosts upload in parallel (each over its own ssh connection). Every upload
    // settles before a failure is thrown, so none is still writing once the lock goes.
    const several = states.length > 1
    const uploads = await mapPoolSettled(states, UPLOAD_CONCURRENCY, async (s) => {
      if (several) o.progress?.update(s.t.name, 'uploading', `${manifest.files} files, ${manifest.bytes} bytes`)
      try {
        await prepareHost(s)
      } catch (e) {
        if (several) o.progress?.update(s.t.name, 'upload failed', String((e as Error)?.message ?? e))
        throw e ?? new Error(`${s.t.name}: upload failed`)
      }
      const p = s.outcome.prepared
      if (several) o.progress?.update(s.t.name, 'uploaded', `${p?.linked ?? 0} linked, ${p?.copied ?? 0} copied`)
    })
    const failed = uploads.find((r) => r.status === 'rejected')
    if (failed) throw failed.reason
  })

  let switchedBack = false
  if (o.rollout) switchedBack = await time('rollout', () => rollout(o.rollout!, states, id, o, now))
  else {
    // Switch every host; if one fails, put the others back.
    await time('switch', () =>
      switchAll(
        states.map((s) => ({ t: s.t, current: s.previous })),
        id,
        o.log,
        o.slot
      )
    )
    const at = now().toISOString()
    await eachHost(states, out, (s) => recordDeploy(s, id, at, o))

    if (o.activate) {
      await time('activate', async () => {
        for (const s of states) {
          o.log(`${s.t.name}: activate: ${o.activate!.join(' ')}`)
          const r = await s.t.activate({
            id,
            argv: o.activate!,
            env: {
              GANTRY_RELEASE_ID: id,
              GANTRY_RELEASE_PATH: s.t.releasePath(id),
              GANTRY_PREVIOUS_RELEASE_ID: s.previous ?? '',
              ...(o.slot ? { GANTRY_SLOT: o.slot } : {})
            },
            timeoutMs: o.activateTimeoutMs
          })
          s.outcome.activate = r
          if (r.code !== 0) {
            const why = r.timedOut
              ? `activate timed out after ${Math.round(o.activateTimeoutMs / 1000)} s`
              : r.code === null
                ? `activate could not run: ${r.output.trim().split('\n').pop()}`
                : `activate exited with code ${r.code}`
            switchedBack = await failActivation(states, id, why, o)
            throw new DeployError(
              `${s.t.name}: ${why}; ${switchedBack ? `${o.slot ? `slot ${o.slot} ` : ''}switched back to ${previous}` : 'no previous release to switch back to'}, release ${id} marked bad`
            )
          }
        }
      })
    }
  }

  // The release is live from here: a prune that cannot finish is a warning, never a failed
  // deploy (which deploy.yml would not roll back, and a later run would trip over).
  await time('prune', () =>
    eachHost(states, out, async (s, lines) => {
      const gone: string[] = []
      // What every slot links to is kept: a slot that cannot be read stops this host's prune, never the deploy.
      let slots: Record<string, string>
      try {
        slots = await s.t.slots()
      } catch (e) {
        lines.warn(
          `${s.t.name}: not pruning: cannot read the slot links (${(e as Error).message}); release ${id} is live`
        )
        return
      }
      for (const g of pruneList(s.history, o.slot ? s.current : id, s.onDisk, o.keep, slots)) {
        try {
          await s.t.removeRelease(g)
        } catch (e) {
          lines.warn(
            `${s.t.name}: could not remove release ${g} while pruning (${(e as Error).message}); release ${id} is live; remove it by hand`
          )
          // Moved aside before the removal failed: no longer a release (cleanPartials tries again).
          const still = await s.t.listReleases().then(
            (l) => l.includes(g),
            () => true
          )
          if (still) continue
        }
        gone.push(g)
        s.onDisk.delete(g)
        findRelease(s.history, g)!.prunedAt = now().toISOString()
      }
      if (gone.length) {
        addEvent(s.history, { at: now().toISOString(), kind: 'prune', releases: gone, run: o.context.run })
        trimPruned(s.history)
        await s.t.writeHistory(s.history)
      }
      s.outcome.pruned = gone
    })
  )

  return {
    id,
    previous,
    ...(o.slot ? { slot: o.slot } : {}),
    path: states[0].t.releasePath(id),
    manifest: { files: manifest.files, bytes: manifest.bytes },
    targets: states.map((s) => s.outcome),
    timings,
    switchedBack
  }
}

/** The deploy event of a host just switched to `id`, written to its history. */
async function recordDeploy(s: TargetState, id: string, at: string, o: DeployOptions): Promise<void> {
  // activatedAt marks a release that was `current` (a rollback target of current); a slot's own history is its events.
  if (!o.slot) findRelease(s.history, id)!.activatedAt = at
  addEvent(s.history, {
    at,
    kind: 'deploy',
    from: s.previous,
    to: id,
    run: o.context.run,
    actor: o.context.actor,
    ...(o.slot ? { slot: o.slot } : {})
  })
  await s.t.writeHistory(s.history)
}

/** The release to hard-link from: current when it has a manifest, else the newest one that has. */
async function linkSource(
  s: TargetState,
  currentManifest: { id: string; manifest: Manifest } | undefined
): Promise<{ id: string; manifest: Manifest } | undefined> {
  // Read before the lock; a release's manifest never changes, so it serves if that release is still current.
  if (currentManifest && (s.previous === currentManifest.id || s.current === currentManifest.id))
    return { id: currentManifest.id, manifest: currentManifest.manifest }
  const candidates = [
    ...(s.previous ? [s.previous] : []),
    ...(s.current ? [s.current] : []),
    ...s.history.releases
      .filter((r) => s.onDisk.has(r.id) && !r.prunedAt)
      .map((r) => r.id)
      .reverse()
  ]
  for (const c of candidates) {
    const m = await s.t.readManifest(c)
    if (m) return { id: c, manifest: m }
  }
  return undefined
}

/**
 * Switches every host to `id` (`current`, or with `slot` the link slots/<slot>);
 * when one fails, switches the ones done back (to what `current` says each held) and rethrows.
 */
export async function switchAll(
  states: ReadonlyArray<{ t: Target; current?: string }>,
  id: string,
  log: (line: string) => void,
  slot?: string
): Promise<void> {
  const done: Array<{ t: Target; current?: string }> = []
  const to = (t: Target, r: string) => (slot ? t.switchSlot(slot, r) : t.switchTo(r))
  for (const s of states) {
    try {
      await to(s.t, id)
      done.push(s)
    } catch (e) {
      const back: string[] = []
      for (const d of done.reverse()) {
        if (!d.current) continue
        try {
          await to(d.t, d.current)
          back.push(`${d.t.name} -> ${d.current}`)
        } catch (e2) {
          log(`${d.t.name}: switching back to ${d.current} failed too: ${(e2 as Error).message}`)
        }
      }
      throw new DeployError(
        `${s.t.name}: switch${slot ? ` of slot ${slot}` : ''} to ${id} failed: ${(e as Error).message}${back.length ? `; switched back: ${back.join(', ')}` : ''}`
      )
    }
  }
}

/** The activate command's failure, in words; undefined when it exited 0. */
function activateFailure(r: ActivateResult, timeoutMs: number): string | undefined {
  if (r.code === 0) return undefined
  return r.timedOut
    ? `activate timed out after ${Math.round(timeoutMs / 1000)} s`
    : r.code === null
      ? `activate could not run: ${r.output.trim().split('\n').pop()}`
      : `activate exited with code ${r.code}`
}

/**
 * A caller-ordered rollout (DeployOptions.rollout): each host's switch records
 * its deploy event; a failure switches back what is still switched, marks the
 * release bad and records a 'switch-back' on every host.
 */
async function rollout(
  order: Rollout,
  states: TargetState[],
  id: string,
  o: DeployOptions,
  now: () => Date
): Promise<boolean> {
  const to = (t: Target, r: string) => (o.slot ? t.switchSlot(o.slot, r) : t.switchTo(r))
  const switched = new Set<TargetState>()
  // A host the rollout tried to switch back and could not: it said so, and is not tried (nor reported) again.
  const triedBack = new Set<TargetState>()
  const hosts: RolloutHost[] = states.map((s) => ({
    name: s.t.name,
    serverName: s.t.serverName ?? s.t.name,
    hostAddress: s.t.hostAddress,
    previous: s.previous,
    get switched() {
      return switched.has(s)
    },
    async switch() {
      if (switched.has(s)) return
      try {
        await to(s.t, id)
      } catch (e) {
        throw new DeployError(
          `${s.t.name}: switch${o.slot ? ` of slot ${o.slot}` : ''} to ${id} failed: ${(e as Error).message}`
        )
      }
      switched.add(s)
      await recordDeploy(s, id, now().toISOString(), o)
      if (!o.activate) return
      o.log(`${s.t.name}: activate: ${o.activate.join(' ')}`)
      const r = await s.t.activate({
        id,
        argv: o.activate,
        env: {
          GANTRY_RELEASE_ID: id,
          GANTRY_RELEASE_PATH: s.t.releasePath(id),
          GANTRY_PREVIOUS_RELEASE_ID: s.previous ?? '',
          ...(o.slot ? { GANTRY_SLOT: o.slot } : {})
        },
        timeoutMs: o.activateTimeoutMs
      })
      s.outcome.activate = r
      const why = activateFailure(r, o.activateTimeoutMs)
      if (why) throw new DeployError(`${s.t.name}: ${why}`)
    },
    async back() {
      if (!switched.has(s)) return true
      triedBack.add(s)
      if (!s.previous) return false
      await to(s.t, s.previous)
      switched.delete(s)
      return true
    }
  }))
  try {
    await order(hosts)
    const missing = states.filter((s) => !switched.has(s))
    if (missing.length) throw new DeployError(`the rollout left ${missing.map((s) => s.t.name).join(', ')} unswitched`)
    return false
  } catch (e) {
    const why = (e as Error).message
    // Whatever the rollout left switched goes back too: no host stays on a release marked bad.
    const stuck: string[] = []
    for (const h of hosts.filter((x, n) => x.switched && !triedBack.has(states[n])).reverse()) {
      try {
        if (!(await h.back())) stuck.push(`${h.name} (no previous release)`)
      } catch (e2) {
        stuck.push(`${h.name} (${(e2 as Error).message})`)
        o.log(`${h.name}: switching back to ${h.previous} failed: ${(e2 as Error).message}`)
      }
    }
    const at = now().toISOString()
    for (const s of states) {
      markBad(s.history, id, { reason: why, actor: o.context.actor, run: o.context.run, at })
      addEvent(s.history, {
        at,
        kind: 'switch-back',
        from: id,
        to: switched.has(s) ? id : s.previous,
        reason: why,
        run: o.context.run,
        actor: o.context.actor,
        ...(o.slot ? { slot: o.slot } : {})
      })
      try {
        await s.t.writeHistory(s.history)
      } catch (e2) {
        o.log(`${s.t.name}: could not record the switch-back: ${(e2 as Error).message}`)
      }
    }
    throw new DeployError(
      `${why}; ${stuck.length ? `NOT switched back: ${stuck.join(', ')}; ` : switched.size ? '' : 'every host switched back; '}release ${id} marked bad`
    )
  }
}

async function failActivation(states: TargetState[], id: string, why: string, o: DeployOptions): Promise<boolean> {
  const previous = states[0].previous
  let back = false
  if (previous) {
    await switchAll(
      states.map((s) => ({ t: s.t, current: id })),
      previous,
      o.log,
      o.slot
    )
    back = true
  }
  const at = new Date().toISOString()
  for (const s of states) {
    markBad(s.history, id, { reason: why, actor: o.context.actor, run: o.context.run, at })
    addEvent(s.history, {
      at,
      kind: 'activate-failed',
      from: id,
      to: previous,
      reason: why,
      run: o.context.run,
      ...(o.slot ? { slot: o.slot } : {})
    })
    await s.t.writeHistory(s.history)
  }
  return back
}
