/**
 * `$variant` in a metric's PromQL: where it may stand, and its replacement by
 * a variant's label value. It may stand only inside a quoted string (a label
 * value: `{instance="$variant"}`), never in the query's code, so the value
 * replaced cannot reach beyond that string: its backslashes, quotes and line
 * breaks are escaped as PromQL's (Go's) string syntax reads them, and inside
 * a regular-expression matcher (`=~`, `!~`) its RE2 metacharacters are
 * escaped too, so `127.0.0.1:3001` matches only itself. Backtick strings take
 * no escapes, so `$variant` is refused there.
 */

export const VARIANT = '$variant'

/** A query cut at each `$variant`: the text around them, and how each is to be escaped. */
export interface Template {
  parts: string[]
  /** One per `$variant` (parts.length - 1): the quote of its string, and whether that string is a regex. */
  slots: Array<{ quote: '"' | "'"; regex: boolean }>
}

export class TemplateError extends Error {}

const IDENT = /[A-Za-z0-9_]/

/** Splits a query at each `$variant`, checking each stands inside a '…' or "…" string; throws TemplateError. */
export function parseTemplate(query: string): Template {
  const parts: string[] = []
  const slots: Template['slots'] = []
  let from = 0
  let i = 0
  let codeEnd = 0 // where the code before the current string ended (for the matcher operator)
  const isVariantAt = (k: number) => query.startsWith(VARIANT, k) && !IDENT.test(query[k + VARIANT.length] ?? '')
  while (i < query.length) {
    const c = query[i]
    if (c === '#') {
      // A comment runs to the end of the line.
      const nl = query.indexOf('\n', i)
      const end = nl < 0 ? query.length : nl
      if (query.slice(i, end).includes(VARIANT))
        throw new TemplateError(
          `${VARIANT} in a comment (# …): it must stand inside a label value such as "${VARIANT}"`
        )
      i = end
      continue
    }
    if (c === '"' || c === "'" || c === '`') {
      const regex = /[=!]~\s*$/.test(query.slice(codeEnd, i))
      let k = i + 1
      for (; k < query.length && query[k] !== c; k++) {
        if (c !== '`' && query[k] === '\\') {
          k++
          continue
        }
        if (isVariantAt(k)) {
          if (c === '`')
            throw new TemplateError(
              `${VARIANT} in a backtick string (no escapes there); expected it inside "…" such as {instance="${VARIANT}"}`
            )
          parts.push(query.slice(from, k))
          slots.push({ quote: c, regex })
          k += VARIANT.length - 1
          from = k + 1
        }
      }
      if (k >= query.length) throw new TemplateError(`a string opened with ${c} is not closed`)
      i = k + 1
      codeEnd = i
      continue
    }
    if (isVariantAt(i))
      throw new TemplateError(
        `${VARIANT} outside a quoted label value; expected it inside one, such as {instance="${VARIANT}"}`
      )
    i++
  }
  parts.push(query.slice(from))
  if (slots.length === 0)
    throw new TemplateError(`no ${VARIANT}: each variant's series must be chosen, such as {instance="${VARIANT}"}`)
  return { parts, slots }
}

const RE2_META = /[\\.+*?()|[\]{}^$]/g

/** The value as the body of a PromQL string quoted with `quote`. */
export function escapeString(value: string, quote: '"' | "'"): string {
  let out = ''
  for (const ch of value) {
    if (ch === '\\') out += '\\\\'
    else if (ch === quote) out += `\\${quote}`
    else if (ch === '\n') out += '\\n'
    else if (ch === '\r') out += '\\r'
    else if (ch === '\t') out += '\\t'
    else if (ch < ' ' || ch === '\x7f') out += `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`
    else out += ch
  }
  return out
}

/** The query with every `$variant` replaced by `value`, escaped for where it stands. */
export function render(t: Template, value: string): string {
  let out = t.parts[0]
  t.slots.forEach((s, k) => {
    const v = s.regex ? value.replace(RE2_META, '\\$&') : value
    out += escapeString(v, s.quote) + t.parts[k + 1]
  })
  return out
}
