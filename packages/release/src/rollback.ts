/**
 * A rollback: switch every host back to `to` (or the newest good release older
 * than current), mark the release it leaves bad with who and why, record it.
 * Never onto a bad release; with nothing to go back to, a clear failure and
 * nothing changed.
 */
import { InputError } from '@gantry/core'
import { addEvent, findRelease, markBad, rollbackTarget, slotRollbackTarget } from './history.js'
import { loadHistory } from './history-load.js'
import { acquireLock } from './lock.js'
import { DeployError, switchAll, type LockSettings, type RunContext } from './deploy.js'
import type { Target } from './target.js'

export class NothingToRollBack extends Error {}

export interface RollbackOptions {
  targets: Target[]
  to?: string
  /**
   * Roll back slots/<slot> (to that slot's previous good release, from the
   * events recorded with it) instead of `current`, which is then untouched.
   */
  slot?: string
  /** Roll back only if this release is still current (the slot's, with slot) (a watch must not undo a newer deploy). */
  expectFrom?: string
  reason: string
  context: RunContext
  lock: LockSettings
  log: (line: string) => void
  /** Warnings (a history rebuilt); default: log. */
  warn?: (line: string) => void
}

/**
 * Fails, before any change, when a target's `<path>` holds no releases: a
 * mistyped path must be named as such, not met as a missing lock directory.
 */
export async function checkDeployed(targets: readonly Target[]): Promise<void> {
  for (const t of targets) {
    if (!(await t.hasLayout())) {
      throw new InputError(
        `Input 'path' has invalid value '${t.base}': ${t.name} holds no releases (no .gantry/ or releases/ there); expected the path deploy-atomic deployed to; nothing changed`
      )
    }
  }
}

export interface RollbackResult {
  /** The slot rolled back; undefined for `current`. */
  slot?: string
  from?: string
  to: string
  /** ms the verify + switch took (what users wait for). */
  durationMs: number
  switchMs: number
}

export async function rollback(o: RollbackOptions): Promise<RollbackResult> {
  await checkDeployed(o.targets)
  const slot = o.slot
  const link = slot ? `slot ${slot}` : 'current'
  const lock = await acquireLock(o.targets, `rollback${slot ? ` of slot ${slot}` : ''}${o.to ? ` to ${o.to}` : ''}`, {
    ...o.lock,
    log: o.log
  })
  try {
    const states = []
    for (const t of o.targets) {
      const history = await loadHistory(t, o.warn ?? o.log)
      // With a slot, "current" below is what that slot links to.
      const current = slot ? await t.slot(slot) : await t.current()
      const onDisk = new Set(await t.listReleases())
      states.push({ t, history, current, onDisk })
    }
    const first = states[0]
    const from = first.current
    const skew = states.filter((s) => s.current !== from)
    if (skew.length) {
      o.log(`hosts disagree on ${link}: ${states.map((s) => `${s.t.name}=${s.current ?? 'none'}`).join(', ')}`)
    }

    if (o.expectFrom !== undefined && from !== o.expectFrom) {
      throw new NothingToRollBack(
        `${link} changed during the watch (${o.expectFrom} -> ${from ?? 'none'}); not rolling back a release that was not watched; nothing changed`
      )
    }

    let to: string
    if (o.to) {
      for (const s of states) {
        if (!s.onDisk.has(o.to)) {
          throw new NothingToRollBack(
            `release '${o.to}' does not exist on ${s.t.name} (it has: ${[...s.onDisk].sort().join(', ') || 'none'}); nothing changed`
          )
        }
        const r = findRelease(s.history, o.to)
        if (r?.status === 'bad') {
          throw new NothingToRollBack(
            `release '${o.to}' is marked bad on ${s.t.name} (${r.bad?.reason ?? 'no reason recorded'}); refusing to roll back onto it; nothing changed`
          )
        }
      }
      if (o.to === from && skew.length === 0) {
        throw new NothingToRollBack(
          `release '${o.to}' is already ${slot ? `in slot ${slot}` : 'current'} on every host; nothing changed`
        )
      }
      to = o.to
    } else {
      if (slot && from === undefined)
        throw new NothingToRollBack(
          `nothing to roll back on ${first.t.name}: slot ${slot} links no release (no ${first.t.base}/slots/${slot}); nothing changed`
        )
      const pick = slot
        ? slotRollbackTarget(first.history, slot, from, first.onDisk)
        : rollbackTarget(first.history, from, first.onDisk)
      if (!pick) {
        throw new NothingToRollBack(
          slot
            ? `nothing to roll back to on ${first.t.name}: slot ${slot} held no good release before ${from ?? '(the slot links no release)'} that is still on disk; nothing changed`
            : `nothing to roll back to on ${first.t.name}: no good release older than ${from ?? '(no current release)'}; nothing changed`
        )
      }
      for (const s of states.slice(1)) {
        if (!s.onDisk.has(pick))
          throw new NothingToRollBack(`release '${pick}' is missing on ${s.t.name}; nothing changed`)
      }
      to = pick
    }

    const t0 = performance.now()
    for (const s of states) {
      const v = await s.t.verify(to, false)
      if (!v.ok) {
        throw new DeployError(
          `release '${to}' on ${s.t.name} is damaged (${v.problems.slice(0, 3).join('; ')}); nothing changed`
        )
      }
    }
    const s0 = performance.now()
    await switchAll(states, to, o.log, slot)
    const switchMs = performance.now() - s0
    const durationMs = performance.now() - t0

    const at = new Date().toISOString()
    for (const s of states) {
      if (s.current && s.current !== to) {
        markBad(s.history, s.current, { reason: o.reason, actor: o.context.actor, run: o.context.run, at })
      }
      const rec = findRelease(s.history, to)
      if (rec && !rec.activatedAt && !slot) rec.activatedAt = at
      addEvent(s.history, {
        at,
        kind: 'rollback',
        from: s.current,
        to,
        reason: o.reason,
        actor: o.context.actor,
        run: o.context.run,
        ...(slot ? { slot } : {})
      })
      await s.t.writeHistory(s.history)
    }
    return { ...(slot ? { slot } : {}), from, to, durationMs, switchMs }
  } finally {
    await lock.release()
  }
}

/**
 * A slot whose traffic was moved back (blue-green) but that held no good
 * release before this one: nothing to relink, so the release it links is
 * marked bad, with who and why, and stays there without traffic until the
 * next deploy to that slot replaces it. Returns that release.
 */
export async function markSlotBad(
  o: Pick<RollbackOptions, 'targets' | 'reason' | 'context' | 'lock' | 'log' | 'warn'> & { slot: string }
): Promise<string | undefined> {
  const lock = await acquireLock(o.targets, `mark the release of slot ${o.slot} bad`, { ...o.lock, log: o.log })
  try {
    return await markSlotBadHeld(o)
  } finally {
    await lock.release()
  }
}

/** markSlotBad for a caller that already holds the deploy lock of the targets (a canary's traffic session). */
export async function markSlotBadHeld(
  o: Pick<RollbackOptions, 'targets' | 'reason' | 'context' | 'log' | 'warn'> & { slot: string }
): Promise<string | undefined> {
  let first: string | undefined
  const at = new Date().toISOString()
  for (const t of o.targets) {
    const history = await loadHistory(t, o.warn ?? o.log)
    const id = await t.slot(o.slot)
    first ??= id
    if (!id) continue
    markBad(history, id, { reason: o.reason, actor: o.context.actor, run: o.context.run, at })
    const ev = history.events.at(-1)
    if (ev?.kind === 'mark-bad') ev.slot = o.slot
    await t.writeHistory(history)
  }
  return first
}
