/**
 * Bounds with no input of their own (DESIGN.md names none): how long a lock
 * lives without a refresh, how long to wait for another run's lock, how long
 * `activate` may run. The environment can override them (GANTRY_LOCK_WAIT,
 * GANTRY_LOCK_TTL, GANTRY_ACTIVATE_TIMEOUT: durations such as 90s or 5m).
 */
import { DURATION_FORM, InputError, MAX_TIMER_FORM, MAX_TIMER_MS, parseDuration } from '@gantry/core'
import type { LockSettings, RunContext } from './deploy.js'

export const DEFAULT_LOCK_WAIT_MS = 5 * 60_000
/** A lock not refreshed for this long is stale: shorter than the wait, so a dead holder only delays the next run. */
export const DEFAULT_LOCK_TTL_MS = 2 * 60_000
/** The holder's refresh period: four chances within the TTL (a slow ssh call or a busy runner may miss one). */
export const LOCK_REFRESH_MS = 30_000
export const DEFAULT_ACTIVATE_TIMEOUT_MS = 10 * 60_000

function envDuration(name: string, fallback: number, env: NodeJS.ProcessEnv): number {
  const v = env[name]
  if (v === undefined || v.trim() === '') return fallback
  let ms: number
  try {
    ms = parseDuration(v)
  } catch {
    throw new InputError(`Environment variable ${name} has invalid value '${v}': expected ${DURATION_FORM}`)
  }
  // Each becomes a timer: past the bound Node.js would fire it after 1 ms.
  if (ms > MAX_TIMER_MS)
    throw new InputError(`Environment variable ${name} has invalid value '${v}': expected ${MAX_TIMER_FORM}`)
  return ms
}

export function lockSettings(env: NodeJS.ProcessEnv = process.env): LockSettings {
  const ttlMs = Math.max(3000, envDuration('GANTRY_LOCK_TTL', DEFAULT_LOCK_TTL_MS, env))
  return {
    waitMs: envDuration('GANTRY_LOCK_WAIT', DEFAULT_LOCK_WAIT_MS, env),
    ttlMs,
    refreshMs: Math.min(LOCK_REFRESH_MS, Math.floor(ttlMs / 4))
  }
}

export function activateTimeout(env: NodeJS.ProcessEnv = process.env): number {
  return envDuration('GANTRY_ACTIVATE_TIMEOUT', DEFAULT_ACTIVATE_TIMEOUT_MS, env)
}

/** Who and what, from the runner's environment. */
export function runContext(env: NodeJS.ProcessEnv = process.env): RunContext {
  return {
    sha: env.GITHUB_SHA || undefined,
    ref: env.GITHUB_REF || undefined,
    run: env.GITHUB_RUN_ID || undefined,
    actor: env.GITHUB_ACTOR || undefined
  }
}
