/**
 * Parsers for the value conventions every action shares (DESIGN.md):
 * durations, rates, status sets, lists, headers. Each returns a value or throws
 * a ValueError whose message says what was expected; inputs.ts adds the input
 * name and value to make the one-line error.
 */
export class ValueError extends Error {}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

export const DURATION_FORM = 'a duration such as 250ms, 5s, 2m, 1h, 1d or 1m30s (a bare number is seconds)'

/**
 * The longest delay a Node.js timer can hold (2^31-1 ms, about 24.8 days):
 * setTimeout() with a longer one fires after 1 ms instead. Every duration
 * input that becomes a timer is bounded by it (fields.duration's `timer`).
 */
export const MAX_TIMER_MS = 2 ** 31 - 1

export const MAX_TIMER_FORM = `at most ${MAX_TIMER_MS}ms (about 24d 20h, the longest timer Node.js can hold)`

/** `250ms`, `5s`, `2m`, `1h`, `1d`, `1m30s`; a bare number is seconds. Returns milliseconds. */
export function parseDuration(text: string): number {
  const s = text.trim()
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000)
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(s)) throw new ValueError(`expected ${DURATION_FORM}`)
  let ms = 0
  for (const [, n, unit] of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) {
    ms += Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS]
  }
  return Math.round(ms)
}

/** Milliseconds in the form parseDuration reads: 250ms, 5s, 1.5s, 1m30s, 2h, 30d. */
export function formatDuration(ms: number): string {
  let rest = Math.round(ms)
  if (rest < 1000) return `${rest}ms`
  let out = ''
  for (const [unit, size] of [
    ['d', UNIT_MS.d],
    ['h', UNIT_MS.h],
    ['m', UNIT_MS.m]
  ] as const) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`
      rest %= size
    }
  }
  if (rest > 0) out += `${Number((rest / 1000).toFixed(3))}s`
  return out
}

export const RATE_FORM = 'a rate such as 1% or 0.01, between 0 and 1 (0% to 100%)'

/** `1%` or `0.01` → 0.01. */
export function parseRate(text: string): number {
  const s = text.trim()
  const m = s.match(/^(\d+(?:\.\d+)?)(%?)$/)
  if (!m) throw new ValueError(`expected ${RATE_FORM}`)
  const v = m[2] ? Number(m[1]) / 100 : Number(m[1])
  if (!(v >= 0 && v <= 1)) throw new ValueError(`expected ${RATE_FORM}`)
  return v
}

export const STATUS_FORM = 'HTTP status codes such as 200, 200-299 or 2xx, comma-separated'

/** A set of HTTP status codes: `200`, `200-299`, `2xx`, comma-separated. */
export class StatusSet {
  constructor(
    readonly ranges: ReadonlyArray<readonly [number, number]>,
    readonly text: string
  ) {}

  has(code: number): boolean {
    return this.ranges.some(([lo, hi]) => code >= lo && code <= hi)
  }

  toString(): string {
    return this.text
  }

  toJSON(): string {
    return this.text
  }

  static parse(text: string | number): StatusSet {
    const s = String(text).trim()
    const ranges: Array<[number, number]> = []
    const bad = () => new ValueError(`expected ${STATUS_FORM}`)
    if (s === '') throw bad()
    for (const raw of s.split(',')) {
      const t = raw.trim().toLowerCase()
      let m: RegExpMatchArray | null
      if ((m = t.match(/^([1-5])xx$/))) {
        const base = Number(m[1]) * 100
        ranges.push([base, base + 99])
      } else if ((m = t.match(/^(\d{3})\s*-\s*(\d{3})$/))) {
        const lo = Number(m[1])
        const hi = Number(m[2])
        if (lo > hi || !validCode(lo) || !validCode(hi)) throw bad()
        ranges.push([lo, hi])
      } else if ((m = t.match(/^(\d{3})$/))) {
        const c = Number(m[1])
        if (!validCode(c)) throw bad()
        ranges.push([c, c])
      } else {
        throw bad()
      }
    }
    return new StatusSet(ranges, s)
  }
}

function validCode(c: number): boolean {
  return c >= 100 && c <= 599
}

/** One item per line; blank lines dropped, items trimmed. */
export function parseList(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

export const HEADERS_FORM = "'Name: value' lines"

/** `Name: value` lines → [name, value] pairs, names checked against RFC 9110's token. */
export function parseHeaders(text: string): Array<[string, string]> {
  return parseList(text).map((line) => {
    const i = line.indexOf(':')
    const name = i > 0 ? line.slice(0, i).trim() : ''
    if (!TOKEN.test(name)) throw new ValueError(`expected ${HEADERS_FORM}`)
    return [name, line.slice(i + 1).trim()]
  })
}

/** `KEY=VALUE` lines → record. */
export function parseKeyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of parseList(text)) {
    const i = line.indexOf('=')
    const key = i > 0 ? line.slice(0, i).trim() : ''
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) throw new ValueError("expected 'KEY=VALUE' lines")
    out[key] = line.slice(i + 1)
  }
  return out
}

/** Booleans as the runner's YAML 1.2 core schema spells them (like core.getBooleanInput). */
export function parseBoolean(text: string): boolean {
  const s = text.trim()
  if (['true', 'True', 'TRUE'].includes(s)) return true
  if (['false', 'False', 'FALSE'].includes(s)) return false
  throw new ValueError('expected true or false')
}
