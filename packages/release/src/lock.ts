/**
 * `<path>/.gantry/lock`: one deploy or rollback at a time per target. The lock
 * names its owner (run, host, pid, time) so a later run can tell a live owner
 * from one a cancelled job left behind — the Capistrano/Deployer failure where a
 * killed job blocks every deploy until someone deletes the file by hand.
 *
 * A lock may be broken only when its owner is provably gone: the same host and
 * a pid that no longer exists, or it was not refreshed for the TTL (2 min; the
 * owner refreshes it every 30 s while it works, so only a dead or hung owner on
 * another machine stops). The TTL is shorter than the 5 min wait, so a holder
 * SIGKILLed on another runner delays the next deploy, never fails it.
 */
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { mapPool, mapPoolSettled, sleep, type Progress } from '@gantry/core'
import { HOST_CONCURRENCY } from './each-host.js'
import type { StateStore } from './target.js'
import type { LockInfo } from './lock-format.js'

export * from './lock-format.js'

export interface LockOptions {
  /** How long a lock lives without a refresh. */
  ttlMs: number
  /** How often the holder refreshes it (default: a quarter of ttlMs). */
  refreshMs?: number
  /** How long to wait for a live owner before failing. */
  waitMs: number
  /** Poll interval while waiting. */
  pollMs?: number
  /** Logs waits and breaks. */
  log?: (line: string) => void
  /** Progress lines while waiting: the holder, on every change and at least every 10 s. */
  progress?: Progress
  /** For tests: liveness of a pid on this host. */
  isAlive?: (pid: number) => boolean
  now?: () => number
}

export class LockError extends Error {}

export function newLockInfo(purpose: string, ttlMs: number, env: NodeJS.ProcessEnv = process.env): LockInfo {
  const now = Date.now()
  return {
    token: randomBytes(12).toString('hex'),
    run: env.GITHUB_RUN_ID,
    repository: env.GITHUB_REPOSITORY,
    actor: env.GITHUB_ACTOR,
    purpose,
    host: hostname(),
    pid: process.pid,
    acquiredAt: new Date(now).toISOString(),
    refreshedAt: new Date(now).toISOString(),
    expiresAt: new Date(now + ttlMs).toISOString()
  }
}

/** `2 min`, `90 s`. */
function span(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Why a lock may be broken, or undefined when its owner may still be alive. */
export function staleReason(
  lock: LockInfo,
  now: number,
  here: string = hostname(),
  isAlive: (pid: number) => boolean = pidAlive,
  ttlMs: number = 2 * 60_000
): string | undefined {
  // The reader's own TTL from the last refresh: a holder that wrote a long expiry (an older version) does not hold it longer.
  const refreshed = lock.refreshedAt === undefined ? NaN : Date.parse(lock.refreshedAt)
  if (Number.isFinite(refreshed) && now - refreshed > ttlMs)
    return `not refreshed since ${lock.refreshedAt} (${span(ttlMs)})`
  const expires = Date.parse(lock.expiresAt)
  if (!Number.isFinite(expires)) return 'its expiry time is not readable'
  if (now > expires) return `its TTL passed at ${lock.expiresAt}`
  if (lock.host === here && Number.isInteger(lock.pid) && lock.pid > 0 && !isAlive(lock.pid)) {
    return `its owner (pid ${lock.pid} on ${lock.host}) is gone`
  }
  return undefined
}

export function describeOwner(lock: LockInfo): string {
  const run = lock.run ? `run ${lock.run}` : 'a run'
  return `${run} (${lock.purpose}) on ${lock.host}, pid ${lock.pid}, since ${lock.acquiredAt}`
}

/** A held lock on one or more targets; release() in a finally. */
export interface HeldLock {
  info: LockInfo
  release(): Promise<void>
}

/**
 * Takes the lock on every target, waiting up to waitMs for live owners and
 * breaking stale ones. Refreshes the locks while held.
 *
 * First one try on every target, HOST_CONCURRENCY at once (the usual,
 * uncontended case: one round trip, not one per host). If any target is held
 * or fails, what that try took is given back and the targets are taken one by
 * one in the given order (the same for every run), waiting at each. A run that
 * waits then holds only targets before the one it waits for, so two runs can
 * never each hold a target the other waits for; keeping what the first try
 * took while waiting would allow exactly that deadlock.
 */
export async function acquireLock(targets: readonly StateStore[], purpose: string, o: LockOptions): Promise<HeldLock> {
  const info = newLockInfo(purpose, o.ttlMs)
  const now = o.now ?? Date.now
  const poll = o.pollMs ?? 200
  const deadline = now() + o.waitMs
  const taken: StateStore[] = []
  const giveBack = async () => {
    await mapPool(taken.splice(0), HOST_CONCURRENCY, (t) => t.removeLock({ token: info.token }).catch(() => false))
  }
  try {
    let oneByOne = targets
    if (targets.length > 1) {
      const at = now()
      info.acquiredAt = info.refreshedAt = new Date(at).toISOString()
      info.expiresAt = new Date(at + o.ttlMs).toISOString()
      const tried = await mapPoolSettled(targets, HOST_CONCURRENCY, (t) => t.createLock(info))
      // A create that failed may still have written the lock: only one that answered "held" surely did not.
      taken.push(...targets.filter((_, i) => tried[i].status === 'rejected' || tried[i].value))
      if (tried.every((r) => r.status === 'fulfilled' && r.value)) oneByOne = []
      else await giveBack()
    }
    for (const t of oneByOne) {
      let announced = ''
      for (;;) {
        const at = now()
        info.acquiredAt = info.refreshedAt = new Date(at).toISOString()
        info.expiresAt = new Date(at + o.ttlMs).toISOString()
        if (await t.createLock(info)) {
          if (announced) o.progress?.update(t.name, 'lock taken', 'deploying')
          break
        }
        const raw = await t.readLockRaw()
        if (raw === undefined) continue // released between our two calls: try again at once
        const lock = await t.readLock()
        // The first try's, left there because giving it back failed: ours already.
        if (lock && lock !== 'unreadable' && lock.token === info.token) break
        const why =
          lock === 'unreadable'
            ? 'it is unreadable'
            : lock === undefined
              ? undefined
              : staleReason(lock, now(), undefined, o.isAlive, o.ttlMs)
        if (why) {
          // Break only the exact lock judged stale: if it changed meanwhile, judge again.
          if (await t.removeLock({ raw })) {
            o.log?.(
              `${t.name}: broke a stale lock held by ${lock && lock !== 'unreadable' ? describeOwner(lock) : 'an unknown owner'}: ${why}`
            )
          }
          continue
        }
        if (lock && lock !== 'unreadable') {
          const owner = describeOwner(lock)
          if (now() >= deadline) {
            throw new LockError(
              `${t.name}: another deploy holds the lock: ${owner}; gave up after waiting ${Math.round(o.waitMs / 1000)} s`
            )
          }
          // With progress lines, those say it (and again every 10 s); else one log line per holder.
          if (announced !== lock.token && !o.progress) o.log?.(`${t.name}: waiting for the lock held by ${owner}`)
          announced = lock.token
          o.progress?.update(
            t.name,
            `waiting for the lock held by ${owner}`,
            `gives up in ${Math.max(0, Math.round((deadline - now()) / 1000))} s`
          )
        }
        await sleep(poll)
      }
      taken.push(t)
    }
  } catch (e) {
    await giveBack()
    throw e
  }
  // Refresh well before the TTL runs out (four times within it), so only a dead or hung owner's lock expires.
  const timer = setInterval(
    () => {
      const at = now()
      info.refreshedAt = new Date(at).toISOString()
      info.expiresAt = new Date(at + o.ttlMs).toISOString()
      for (const t of taken) void t.refreshLock(info).catch(() => false)
    },
    o.refreshMs ?? Math.max(1000, Math.floor(o.ttlMs / 4))
  )
  timer.unref()
  // A cancelled job gets SIGINT, then SIGTERM, seconds before SIGKILL: give the
  // lock back then (every state is crash-safe), so the next run — usually on
  // another machine, where a dead pid cannot be seen — need not wait for the TTL.
  let released = false
  const release = async () => {
    if (released) return
    released = true
    clearInterval(timer)
    for (const sig of SIGNALS) process.off(sig, onSignal)
    await giveBack()
  }
  const onSignal = (sig: NodeJS.Signals) => {
    o.log?.(`${sig}: releasing the lock before exiting`)
    void release().finally(() => process.kill(process.pid, sig))
  }
  for (const sig of SIGNALS) process.once(sig, onSignal)
  return { info, release }
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM']
