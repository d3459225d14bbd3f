/** Checks one response against a check's expectations; each failure says expected vs actual. */
import { isDeepStrictEqual } from 'node:util'
import type { ProbeResponse } from '../request.js'
import { evaluate } from './jsonpath.js'
import type { Expectations, JsonAssertion } from './model.js'
import { expandDeep, expand, type Lookup } from './template.js'

export interface Failure {
  /** What was asserted, e.g. `status`, `header content-type`, `json $.user.id gt`. */
  assertion: string
  expected: string
  actual: string
  /** The spec line of the assertion. */
  line: number
}

/** isDeepStrictEqual, false (not a crash) on a value nested too deeply to compare. */
function deepEqual(a: unknown, b: unknown): boolean {
  try {
    return isDeepStrictEqual(a, b)
  } catch {
    return false
  }
}

/** A short JSON rendering for reports. */
export function preview(v: unknown, max = 80): string {
  if (v === undefined) return 'nothing'
  let s: string
  try {
    s = typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v))
  } catch {
    // `[` × 100000 parses, but JSON.stringify overflows the stack on it.
    return Array.isArray(v) ? 'a list nested too deeply to show' : 'a value nested too deeply to show'
  }
  return s.length > max ? `${s.slice(0, max - 1)}…` : s
}

/** The start of a body as it is (not JSON-quoted), on one line. */
export function bodyPreview(text: string, max = 120): string {
  if (text === '') return 'an empty body'
  const one = text.replace(/\s*\r?\n\s*/g, ' ')
  return one.length > max ? `${one.slice(0, max - 1)}…` : one
}

/** Parses the body once, on first use. */
export class BodyJson {
  private parsed?: { ok: true; value: unknown } | { ok: false; error: string }
  constructor(private readonly text: string) {}
  get(): { ok: true; value: unknown } | { ok: false; error: string } {
    if (!this.parsed) {
      try {
        this.parsed = { ok: true, value: JSON.parse(this.text) }
      } catch (e) {
        this.parsed = { ok: false, error: `body is not JSON (${(e as Error).message})` }
      }
    }
    return this.parsed
  }
}

export function checkResponse(
  expect: Expectations,
  res: ProbeResponse,
  json: BodyJson,
  lookup: Lookup,
  checkLine: number
): Failure[] {
  const out: Failure[] = []
  if (res.status === undefined) {
    // No response at all: nothing else can be judged.
    return [
      { assertion: 'request', expected: 'a response', actual: res.error?.message ?? 'no response', line: checkLine }
    ]
  }
  if (!expect.status.has(res.status)) {
    out.push({
      assertion: 'status',
      expected: expect.status.text,
      actual: String(res.status),
      line: expect.statusLine || checkLine
    })
  }
  for (const h of expect.headers) {
    const actual = res.headers[h.name]
    const assertion = `header ${h.name}`
    if (h.regex) {
      if (actual === undefined || !h.regex.test(actual)) {
        out.push({ assertion, expected: `matches ${h.regex}`, actual: preview(actual), line: h.line })
      }
    } else {
      const want = expand(h.exact ?? '', lookup)
      if (actual !== want) out.push({ assertion, expected: preview(want), actual: preview(actual), line: h.line })
    }
  }
  for (const b of expect.bodyContains) {
    const want = expand(b.text, lookup)
    if (!res.body.includes(want)) {
      out.push({
        assertion: 'body-contains',
        expected: `contains ${preview(want)}`,
        actual: bodyPreview(res.body),
        line: b.line
      })
    }
  }
  for (const b of expect.bodyMatches) {
    if (!b.regex.test(res.body)) {
      out.push({
        assertion: 'body-matches',
        expected: `matches ${b.regex}`,
        actual: bodyPreview(res.body),
        line: b.line
      })
    }
  }
  if (expect.json.length > 0) {
    const doc = json.get()
    if (!doc.ok) {
      out.push({
        assertion: 'json',
        expected: 'a JSON body',
        actual: doc.error,
        line: expect.json[0]?.line ?? checkLine
      })
    } else {
      for (const a of expect.json) {
        const f = checkJson(a, doc.value, lookup)
        if (f) out.push(f)
      }
    }
  }
  if (expect.maxLatencyMs !== undefined && res.latencyMs > expect.maxLatencyMs) {
    out.push({
      assertion: 'max-latency',
      expected: `≤ ${expect.maxLatencyMs} ms`,
      actual: `${Math.round(res.latencyMs)} ms`,
      line: expect.maxLatencyLine ?? checkLine
    })
  }
  return out
}

function checkJson(a: JsonAssertion, doc: unknown, lookup: Lookup): Failure | undefined {
  const r = evaluate(a.path, doc)
  const assertion = `json ${a.path.text}${a.op === 'equals' ? '' : ` ${a.op}`}`
  const fail = (expected: string, actual = r.found || !a.path.singular ? preview(r.value) : 'nothing'): Failure => ({
    assertion,
    expected,
    actual,
    line: a.line
  })
  // A path with wildcards denotes all its matches: operators must hold for each (and there must be one).
  const each = (ok: (v: unknown) => boolean): boolean =>
    a.path.singular ? r.found && ok(r.value) : r.found && (r.value as unknown[]).every(ok)
  switch (a.op) {
    case 'equals': {
      const want = expandDeep(a.expected, lookup)
      return r.found || !a.path.singular
        ? deepEqual(r.value, want)
          ? undefined
          : fail(preview(want))
        : fail(preview(want))
    }
    case 'exists':
      return r.found === a.expected ? undefined : fail(a.expected ? 'exists' : 'does not exist')
    case 'matches':
      return each(
        (v) =>
          (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') &&
          (a.regex as RegExp).test(String(v))
      )
        ? undefined
        : fail(`matches ${a.regex}`)
    case 'gt':
      return each((v) => typeof v === 'number' && v > (a.expected as number)) ? undefined : fail(`> ${a.expected}`)
    case 'lt':
      return each((v) => typeof v === 'number' && v < (a.expected as number)) ? undefined : fail(`< ${a.expected}`)
    case 'length': {
      const v = r.value
      const len = typeof v === 'string' || Array.isArray(v) ? v.length : undefined
      if (len === a.expected) return undefined
      return fail(`length ${a.expected}`, len === undefined ? `${preview(v)} (no length)` : `length ${len}`)
    }
  }
}
