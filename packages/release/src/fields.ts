/** Input fields the release actions share (zod, built on @gantry/core's fields). */
import { stringField, type Field } from '@gantry/core'
import { COMMAND_FORM, CommandError, splitCommand } from './command.js'
import { RELEASE_ID_FORM, isValidReleaseId } from './id.js'
import { IDLE_SLOT, SLOT_FORM, isSlotName } from './layout.js'
import { HOST_FORM, HOST_LINE_FORM, isHostLine } from './ssh/host.js'

/** A parse failure's message (a class, so a parser may itself return strings). */
class Invalid {
  constructor(readonly message: string) {}
}

function custom<T>(_form: string, parse: (s: string) => T | Invalid): Field<T> {
  return stringField((s, fail) => {
    const r = parse(s)
    return r instanceof Invalid ? fail(r.message) : r
  })
}

export const releaseFields = {
  hosts: (): Field<string[]> =>
    custom(HOST_LINE_FORM, (s) => {
      const list = s
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter(Boolean)
      const bad = list.find((h) => !isHostLine(h))
      if (bad === undefined) return list
      // A line without '=' is told the form it has always been told.
      return new Invalid(`expected ${bad.includes('=') ? HOST_LINE_FORM : HOST_FORM} ('${bad}' is not)`)
    }),
  releaseId: (): Field<string> =>
    custom(RELEASE_ID_FORM, (s) => (isValidReleaseId(s) ? s : new Invalid(`expected ${RELEASE_ID_FORM}`))),
  /** Release-relative paths: no absolute paths, no '..'. */
  sharedPaths: (): Field<string[]> =>
    custom('relative paths, one per line', (s) => {
      const list = s
        .split(/\r?\n/)
        .map((l) => l.trim().replace(/\/+$/, ''))
        .filter(Boolean)
      for (const p of list) {
        if (p.startsWith('/') || p.split('/').some((x) => x === '..' || x === '.' || x === '') || p.includes('\0')) {
          return new Invalid(`expected relative paths inside the release, one per line, without '..' ('${p}' is not)`)
        }
      }
      // One link per path: a path inside another shared one would be linked inside the shared copy itself.
      for (const [i, p] of list.entries()) {
        for (const q of list.slice(0, i)) {
          const why =
            p === q
              ? `'${p}' is listed twice`
              : p.startsWith(`${q}/`)
                ? `'${p}' lies inside '${q}'`
                : q.startsWith(`${p}/`)
                  ? `'${q}' lies inside '${p}'`
                  : undefined
          if (why) return new Invalid(`${why}; expected paths that do not overlap, one per line`)
        }
      }
      return list
    }),
  /**
   * A slot name; with idle: true also the word `idle` (deploy-atomic: the slot
   * with 0% of the traffic). Without it `idle` is refused with why (auto-rollback).
   */
  slot: (o: { idle: boolean; why?: string }): Field<string> =>
    custom(SLOT_FORM, (s) =>
      s === IDLE_SLOT
        ? o.idle
          ? s
          : new Invalid(`${o.why ?? `'${IDLE_SLOT}' is not allowed here`}; expected ${SLOT_FORM}`)
        : isSlotName(s)
          ? s
          : new Invalid(`expected ${SLOT_FORM}${o.idle ? ` or ${IDLE_SLOT}` : ''}`)
    ),
  command: (): Field<string[]> =>
    custom(COMMAND_FORM, (s) => {
      try {
        return splitCommand(s)
      } catch (e) {
        return new Invalid(`expected ${COMMAND_FORM}: ${(e as CommandError).message}`)
      }
    })
}
