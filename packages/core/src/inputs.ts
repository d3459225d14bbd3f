/**
 * Inputs are read only here: each action declares a zod schema per input name
 * (keys from names.ts), and parseInputs turns the first bad value into one line
 * naming the input, the value and the expected form — before any side effect.
 */
import * as core from '@actions/core'
// zod/mini: the same validation core without the chainable classes, whose
// code and per-schema methods cost each action ~1.5 MiB of memory at load.
import * as z from 'zod/mini'
import { InputError } from './errors.js'
import { maskSecret, redact } from './mask.js'
import { Names, type ActionName, type InputName } from './names.js'
import {
  DURATION_FORM,
  HEADERS_FORM,
  MAX_TIMER_FORM,
  MAX_TIMER_MS,
  RATE_FORM,
  STATUS_FORM,
  StatusSet,
  ValueError,
  parseBoolean,
  parseDuration,
  parseHeaders,
  parseKeyValues,
  parseList,
  parseRate
} from './values.js'

/** A schema for one raw input (always a trimmed string, '' when not given). */
export type Field<T> = z.ZodMiniType<T, string>

/** What a field expects, in words; used for "is required" messages. */
const expects = new WeakMap<z.ZodMiniType, string>()

/** A string input turned into T by to(); it reports a problem by calling fail(message). */
export function stringField<T>(to: (s: string, fail: (message: string) => typeof z.NEVER) => T): Field<T> {
  return z.pipe(
    z.string(),
    z.transform((s: string, ctx) =>
      to(s, (message) => {
        ctx.issues.push({ code: 'custom', message, input: s })
        return z.NEVER
      })
    )
  )
}

function fromParser<T>(form: string, parse: (s: string) => T): Field<T> {
  const schema = stringField((s, fail) => {
    try {
      return parse(s)
    } catch (e) {
      return fail(e instanceof ValueError ? e.message : `expected ${form}`)
    }
  })
  expects.set(schema, form)
  return schema
}

function check(ok: boolean, form: string): void {
  if (!ok) throw new ValueError(`expected ${form}`)
}

/** What fields.urls() expects, in words (for an action's own "is required when …" message). */
export const URLS_FORM = 'one or more http(s) URLs, one per line'

const URL_FORM = 'an http(s) URL such as https://example.com/healthz'

export const fields = {
  string: (form = 'a string'): Field<string> =>
    fromParser(form, (s) => {
      check(s !== '', form)
      return s
    }),
  /**
   * A duration in ms; `min` (ms) rules out e.g. a zero timeout. `timer`: the
   * value becomes a timer (a timeout, an interval, a wait), so it is bounded
   * by MAX_TIMER_MS, past which Node.js fires the timer after 1 ms.
   */
  duration: (min = 0, options: { timer?: boolean } = {}): Field<number> => {
    const bounds = [min > 0 ? 'greater than 0' : '', options.timer ? MAX_TIMER_FORM : ''].filter(Boolean)
    const form = bounds.length > 0 ? `${DURATION_FORM}, ${bounds.join(' and ')}` : DURATION_FORM
    return fromParser(form, (s) => {
      const ms = parseDuration(s)
      check(ms >= min && (!options.timer || ms <= MAX_TIMER_MS), form)
      return ms
    })
  },
  rate: (): Field<number> => fromParser(RATE_FORM, parseRate),
  statusSet: (): Field<StatusSet> => fromParser(STATUS_FORM, (s) => StatusSet.parse(s)),
  boolean: (): Field<boolean> => fromParser('true or false', parseBoolean),
  headers: (): Field<Array<[string, string]>> => fromParser(HEADERS_FORM, parseHeaders),
  keyValues: (): Field<Record<string, string>> => fromParser("'KEY=VALUE' lines", parseKeyValues),
  int: (min: number, max = Number.MAX_SAFE_INTEGER): Field<number> => {
    const form = max === Number.MAX_SAFE_INTEGER ? `a whole number ≥ ${min}` : `a whole number from ${min} to ${max}`
    return fromParser(form, (s) => {
      check(/^-?\d+$/.test(s) && Number(s) >= min && Number(s) <= max, form)
      return Number(s)
    })
  },
  number: (min: number, form = `a number ≥ ${min}`, exclusive = false): Field<number> =>
    fromParser(form, (s) => {
      check(/^\d+(\.\d+)?$/.test(s) && (exclusive ? Number(s) > min : Number(s) >= min), form)
      return Number(s)
    }),
  /** An HTTP method token, upper-cased. */
  method: (): Field<string> =>
    fromParser('an HTTP method such as GET, HEAD or POST', (s) => {
      check(/^[A-Za-z]+$/.test(s), 'an HTTP method such as GET, HEAD or POST')
      return s.toUpperCase()
    }),
  oneOf: <const T extends string>(values: readonly T[]): Field<T> => {
    const form = `one of ${values.join(', ')}`
    return fromParser(form, (s) => {
      check((values as readonly string[]).includes(s), form)
      return s as T
    })
  },
  url: (): Field<URL> => fromParser('an http(s) URL', parseHttpUrl),
  /** An http(s) URL kept exactly as written (shown, or masked, in the form the user gave it). */
  urlText: (): Field<string> =>
    fromParser('an http(s) URL', (s) => {
      parseHttpUrl(s)
      return s
    }),
  urls: (): Field<URL[]> =>
    fromParser(URLS_FORM, (s) => {
      const list = parseList(s)
      check(list.length > 0, URLS_FORM)
      return list.map(parseHttpUrl)
    }),
  regex: (): Field<RegExp> =>
    fromParser('a valid regular expression', (s) => {
      try {
        return new RegExp(s)
      } catch {
        throw new ValueError('expected a valid regular expression')
      }
    }),
  path: (): Field<string> =>
    fromParser('a file or directory path', (s) => {
      check(s !== '' && !s.includes('\0'), 'a file or directory path')
      return s
    }),
  list: (form = 'one item per line'): Field<string[]> => fromParser(form, parseList)
}

function parseHttpUrl(s: string): URL {
  // new URL() drops line breaks, so two URLs on two lines would parse as one
  // joined URL: a list given to a single-URL input is an error, not a join.
  const lines = parseList(s).length
  if (lines > 1) throw new ValueError(`expected ${URL_FORM} (one URL expected, got ${lines} lines)`)
  let u: URL
  try {
    u = new URL(s)
  } catch {
    throw new ValueError(`expected ${URL_FORM}`)
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new ValueError(`expected ${URL_FORM}`)
  }
  return u
}

/** Required: '' is an error saying what was expected. */
export function required<T>(field: Field<T>): Field<T> {
  const form = expects.get(field) ?? 'a value'
  const schema = stringField((s, fail) => (s === '' ? fail(`is required: expected ${form}`) : forward(field, s, fail)))
  expects.set(schema, form)
  return schema
}

/** Optional: '' (not given) is undefined. */
export function optional<T>(field: Field<T>): Field<T | undefined> {
  const schema = stringField((s, fail) => (s === '' ? undefined : forward(field, s, fail)))
  expects.set(schema, expects.get(field) ?? 'a value')
  return schema
}

function forward<T>(field: Field<T>, s: string, fail: (message: string) => typeof z.NEVER): T {
  const r = field.safeParse(s)
  return r.success ? r.data : fail(r.error.issues[0]?.message ?? 'is invalid')
}

/**
 * An action's schema: a field for each of its own inputs (names.ts), plus the
 * inputs its registered kinds declare (spread in from their registries).
 */
export type InputShape<A extends ActionName> = { [K in InputName<A>]: Field<unknown> } & Record<string, Field<unknown>>
export type ParsedInputs<S> = { [K in keyof S]: S[K] extends Field<infer T> ? T : never }

export interface ParseOptions<A extends ActionName> {
  /** Inputs whose values are never echoed (and are masked in logs). */
  secrets?: ReadonlyArray<InputName<A> | (string & {})>
  /** Raw reader; defaults to the runner's INPUT_* variables. */
  read?: (name: string) => string
}

/** Parses every input of an action; throws InputError with one line on the first bad one. */
export function parseInputs<A extends ActionName, S extends InputShape<A>>(
  action: A,
  shape: S,
  options: ParseOptions<A> = {}
): ParsedInputs<S> {
  const read = options.read ?? ((name: string) => core.getInput(name))
  const secrets = new Set<string>(options.secrets ?? [])
  const out: Record<string, unknown> = {}
  for (const name of inputOrder(action, shape)) {
    const raw = read(name)
    if (secrets.has(name) && raw !== '') maskSecret(raw)
    const r = (shape[name] as Field<unknown>).safeParse(raw)
    if (!r.success) {
      const msg = r.error.issues[0]?.message ?? 'is invalid'
      if (msg.startsWith('is required')) throw new InputError(`Input '${name}' ${msg}`)
      const shown = secrets.has(name) ? '***' : quote(redact(raw))
      throw new InputError(`Input '${name}' has invalid value ${shown}: ${msg}`)
    }
    out[name] = r.data
  }
  return out as ParsedInputs<S>
}

/** The action's own inputs in names.ts order, then its kinds' inputs in the schema's order. */
function inputOrder(action: ActionName, shape: Record<string, unknown>): string[] {
  const own: readonly string[] = Names[action].inputs
  return [...own, ...Object.keys(shape).filter((k) => !own.includes(k))]
}

function quote(raw: string): string {
  const one = raw.replace(/\r?\n/g, '\\n')
  return `'${one.length > 120 ? `${one.slice(0, 117)}...` : one}'`
}
