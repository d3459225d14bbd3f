/**
 * Reading history.json under the lock, the same for every target. A file that
 * is not JSON (a short write on a full disk, another tool's crash) must not stop
 * every later deploy and rollback: it is kept aside for a person to read, and a
 * minimal history is rebuilt from the release directories and `current`, with
 * one warning. A file that is JSON but wrong (a bad hand edit) is named, not
 * guessed at: the releases' good/bad marks may still be in it.
 */
import { HistoryError, HistoryUnparseable, rebuildHistory, type History } from './history.js'
import { compactStamp } from './id.js'
import type { ReleaseStore, ReleaseSwitch, StateStore } from './target.js'

export class HistoryStateError extends Error {}

export async function loadHistory(
  t: StateStore & Pick<ReleaseStore, 'listReleases'> & Pick<ReleaseSwitch, 'current'>,
  warn: (message: string) => void,
  now: Date = new Date()
): Promise<History> {
  try {
    return await t.readHistory()
  } catch (e) {
    if (e instanceof HistoryUnparseable) {
      const aside = await t.keepHistoryAside(`history.json.corrupt-${compactStamp(now)}`)
      const onDisk = await t.listReleases()
      const h = rebuildHistory(onDisk, await t.current(), now.toISOString())
      await t.writeHistory(h)
      warn(
        `${t.name}: .gantry/history.json could not be parsed (${e.reason}); kept it as .gantry/${aside} and rebuilt a minimal history from ${onDisk.length} release directories and current (good/bad marks unknown)`
      )
      return h
    }
    if (e instanceof HistoryError) {
      throw new HistoryStateError(
        `${t.name}: .gantry/history.json: ${e.message.replace(/^history\.json /, '')}; fix or remove that entry; nothing changed`
      )
    }
    throw e
  }
}
