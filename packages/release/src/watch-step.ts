/**
 * auto-rollback's watch of the live release: says what it watches (and, up
 * front, when there would be nothing to roll back to), shows progress, and
 * returns the result with the report's `watch` section.
 */
import { progress } from '@gantry/core'
import { displayUrl } from '@gantry/probe'
import { rollbackTarget, slotRollbackTarget } from './history.js'
import type { ReleaseStore, ReleaseSwitch, StateStore } from './target.js'
import { watch, type WatchConfig, type WatchResult } from './watch.js'

export interface WatchStepOptions extends Omit<WatchConfig, 'log' | 'progress'> {
  /** The rollback's `to`: with it, no release to go back to is no reason to warn. */
  to?: string
  /** Watch the release slots/<slot> links to (its rollback is that slot's), not `current`'s. */
  slot?: string
  info: (line: string) => void
  warn: (line: string) => void
  /** Each failing probe; what a user watching sees is the progress. */
  debug: (line: string) => void
}

export interface WatchStepResult {
  /** The release that was watched (what a rollback must still find current). */
  current?: string
  result: WatchResult
  /** The report's `watch` section. */
  report: Record<string, unknown>
}

export async function watchLive(
  t: Pick<ReleaseSwitch, 'current' | 'slot' | 'name'> &
    Pick<StateStore, 'readHistory'> &
    Pick<ReleaseStore, 'listReleases'>,
  o: WatchStepOptions
): Promise<WatchStepResult> {
  const current = o.slot ? await t.slot(o.slot) : await t.current()
  // Read without the lock, only for this warning: a history that cannot be read is dealt with under it.
  const history = await t.readHistory().catch(() => undefined)
  const onDisk = new Set(await t.listReleases())
  const back =
    history &&
    (o.slot ? slotRollbackTarget(history, o.slot, current, onDisk) : rollbackTarget(history, current, onDisk))
  if (history && !back && !o.to) o.warn(`${t.name}: nothing to roll back to if the watch sees a breach`)
  const shown = o.urls.map(displayUrl).join(', ')
  o.info(
    `watching ${shown} for ${o.durationMs / 1000} s (every ${o.intervalMs / 1000} s); ${o.slot ? `slot ${o.slot}` : 'current'}: ${current}`
  )
  const lines = progress(o.info)
  const { to: _to, slot: _slot, info: _info, warn: _warn, debug, ...config } = o
  const result = await watch({ ...config, log: debug, progress: lines }).finally(() => lines.stop())
  // baselineP95 at the top for one URL, as before; with several, each of result.urls has its own.
  const baselineP95 = result.urls.length === 1 ? result.urls[0]?.baselineP95 : undefined
  const report = {
    ...result,
    baselineP95: baselineP95 ?? null,
    intervalMs: o.intervalMs,
    durationMs: o.durationMs,
    expectStatus: o.expect ? String(o.expect.status) : null,
    expectBody: o.expect?.body?.source ?? null
  }
  return { current, result, report }
}
