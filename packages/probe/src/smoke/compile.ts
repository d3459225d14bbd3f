/**
 * Turns a structurally valid spec into the runnable model, checking what the
 * schema cannot: durations, status sets, regexes, JSONPath syntax, unique
 * names, needs (unknown, cycles) and that every ${VAR} is defined.
 */
import { MAX_TIMER_FORM, MAX_TIMER_MS, StatusSet, parseDuration } from '@gantry/core'
import { compilePath, type CompiledPath } from './jsonpath.js'
import type { LoadOptions, SourceMap, SpecProblem } from './problem.js'
import {
  neededChecks,
  type Capture,
  type Check,
  type Expectations,
  type HeaderAssertion,
  type JsonAssertion,
  type JsonOp,
  type Spec
} from './model.js'
import { MATCHER_KEYS, matcherSchema, type RawCheck, type RawSpec } from './schema.js'
import { VAR_NAME, deepReferences } from './template.js'

type PathKey = string | number

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

export function compileSpec(raw: RawSpec, map: SourceMap, options: LoadOptions, problems: SpecProblem[]): Spec {
  const report = (path: PathKey[], message: string, key = false) => problems.push(map.problem(path, message, key))
  const vars: Record<string, string> = {}
  for (const [k, v] of Object.entries(raw.vars ?? {})) {
    if (!VAR_NAME.test(k)) report(['vars', k], `invalid variable name '${k}': expected letters, digits, _ . -`, true)
    vars[k] = String(v)
  }
  Object.assign(vars, options.vars ?? {})

  const checks: Check[] = []
  const seen = new Map<string, number>()
  raw.checks.forEach((rc, i) => {
    const at: PathKey[] = ['checks', i]
    if (seen.has(rc.name)) {
      report([...at, 'name'], `duplicate check name '${rc.name}' (also checks[${seen.get(rc.name)}])`)
    } else seen.set(rc.name, i)
    checks.push(compileCheck(rc, i, at, map, options, report))
  })

  checkNeeds(checks, raw, report)
  if (problems.length === 0) checkReferences(raw, checks, vars, options.env ?? {}, report)
  return { file: options.file, vars, checks }
}

type Report = (path: PathKey[], message: string, key?: boolean) => void

/**
 * The objects below are written field by field rather than as `{ ...pos, more }`:
 * on Node 20's V8 a spread followed by more fields gives every object a hidden
 * class of its own, which added up to much of the compiled spec's memory (bench/NOTES.md).
 */
function compileCheck(
  rc: RawCheck,
  index: number,
  at: PathKey[],
  map: SourceMap,
  options: LoadOptions,
  report: Report
): Check {
  const pos = map.at(at)
  const line = (path: PathKey[], key = false) => map.at([...at, ...path], key)
  const req = rc.request

  const method = (req.method ?? 'GET').toUpperCase()
  if (!/^[A-Z]+$/.test(method))
    report([...at, 'request', 'method'], `expected an HTTP method such as GET or POST, got '${req.method}'`)
  // CONNECT opens a tunnel (its target is host:port, not a URL): it would fail every request.
  else if (method === 'CONNECT')
    report(
      [...at, 'request', 'method'],
      `expected an HTTP method such as GET or POST, got '${req.method}' (CONNECT opens a tunnel, not a request)`
    )
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(req.url)?.[1]
  if (scheme !== undefined && !/^https?$/i.test(scheme)) {
    // A file:, gopher: or javascript: URL is not a path to append to base-url.
    report(
      [...at, 'request', 'url'],
      `expected a path relative to base-url or an http(s) URL, got a ${scheme.toLowerCase()}: URL '${req.url}'`
    )
  }
  if (req.json !== undefined && req.body !== undefined) {
    report([...at, 'request', 'body'], "give either 'json' or 'body', not both")
  }
  if (!options.baseUrl && !/^(https?:\/\/|\$\{)/i.test(req.url)) {
    report(
      [...at, 'request', 'url'],
      `'${req.url}' is relative but the base-url input is empty: give base-url or an absolute http(s) URL`
    )
  }

  const e = rc.expect ?? {}
  let status = StatusSet.parse('2xx')
  if (e.status !== undefined) {
    const text = Array.isArray(e.status) ? e.status.join(',') : String(e.status)
    try {
      status = StatusSet.parse(text)
    } catch {
      report(
        [...at, 'expect', 'status'],
        `expected HTTP status codes such as 200, 2xx, 200-299 or a list of them, got '${text}'`
      )
    }
  }

  // Header names are RFC 9110 tokens; a bad one would only fail at send time otherwise.
  for (const [where, record] of [
    ['request', req.headers],
    ['expect', e.headers]
  ] as const) {
    for (const name of Object.keys(record ?? {})) {
      if (!HEADER_NAME.test(name)) report([...at, where, 'headers', name], `invalid header name '${name}'`, true)
    }
  }
  // A request header value travels as Latin-1 without control characters: anything else failed every request.
  for (const [name, v] of Object.entries(req.headers ?? {})) {
    const bad = /[^\t\x20-\x7e\x80-\xff]/u.exec(String(v))?.[0]
    if (bad !== undefined) {
      const code = `U+${(bad.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`
      report(
        [...at, 'request', 'headers', name],
        `header values must be Latin-1 text without control characters, got ${code} in '${name}' (percent-encode it, or send it in the body)`
      )
    }
  }

  const headers: HeaderAssertion[] = Object.entries(e.headers ?? {}).map(([name, v]) => {
    const p = line(['expect', 'headers', name])
    const text = String(v)
    const regex = slashRegex(text)
    if (regex === undefined) return { line: p.line, column: p.column, name: name.toLowerCase(), exact: text }
    const r = toRegex(regex, [...at, 'expect', 'headers', name], report)
    return { line: p.line, column: p.column, name: name.toLowerCase(), regex: r }
  })

  const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v])
  const bodyContains = list(e['body-contains']).map((text, j) => {
    const p = line(Array.isArray(e['body-contains']) ? ['expect', 'body-contains', j] : ['expect', 'body-contains'])
    return { line: p.line, column: p.column, text }
  })
  const bodyMatches = list(e['body-matches']).map((text, j) => {
    const path: PathKey[] = [...at, 'expect', 'body-matches', ...(Array.isArray(e['body-matches']) ? [j] : [])]
    const p = map.at(path)
    return {
      line: p.line,
      column: p.column,
      regex: toRegex(slashRegex(text) ?? { source: text, flags: '' }, path, report)
    }
  })

  const json: JsonAssertion[] = []
  for (const [expr, want] of Object.entries(e.json ?? {})) {
    const path: PathKey[] = [...at, 'expect', 'json', expr]
    const p = map.at(path, true)
    const compiled = toPath(expr, path, report)
    if (!compiled) continue
    if (isMatcher(want)) {
      const m = matcherSchema.safeParse(want)
      if (!m.success) {
        const issue = m.error.issues[0]
        const sub = issue?.path[0]
        if (issue?.code === 'unrecognized_keys') {
          report(
            [...path, issue.keys[0] ?? ''],
            `unknown operator '${issue.keys[0]}': expected ${MATCHER_KEYS.join(', ')}`,
            true
          )
        } else {
          report(typeof sub === 'string' ? [...path, sub] : path, `expected ${operatorForm(String(sub))}`)
        }
        continue
      }
      for (const [op, value] of Object.entries(m.data) as Array<[JsonOp, unknown]>) {
        if (value === undefined) continue
        const opPos = map.at([...path, op], true)
        const a: JsonAssertion = { line: opPos.line, column: opPos.column, path: compiled, op, expected: value }
        if (op === 'matches')
          a.regex = toRegex(slashRegex(String(value)) ?? { source: String(value), flags: '' }, [...path, op], report)
        json.push(a)
      }
    } else {
      json.push({ line: p.line, column: p.column, path: compiled, op: 'equals', expected: want })
    }
  }

  let maxLatencyMs: number | undefined
  if (e['max-latency'] !== undefined)
    maxLatencyMs = duration(e['max-latency'], [...at, 'expect', 'max-latency'], report)
  const expect: Expectations = {
    status,
    statusLine: line(['expect', 'status']).line,
    headers,
    bodyContains,
    bodyMatches,
    json,
    maxLatencyMs,
    maxLatencyLine: maxLatencyMs === undefined ? undefined : line(['expect', 'max-latency']).line
  }

  const capture: Capture[] = []
  for (const [name, from] of Object.entries(rc.capture ?? {})) {
    const path: PathKey[] = [...at, 'capture', name]
    if (!VAR_NAME.test(name)) report(path, `invalid capture name '${name}': expected letters, digits, _ . -`, true)
    const p = map.at(path, true)
    if (typeof from === 'string' || 'jsonpath' in from) {
      const expr = typeof from === 'string' ? from : from.jsonpath
      const compiled = toPath(expr, typeof from === 'string' ? path : [...path, 'jsonpath'], report)
      if (compiled) capture.push({ line: p.line, column: p.column, name, from: { kind: 'jsonpath', path: compiled } })
    } else {
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(from.header))
        report([...path, 'header'], `invalid header name '${from.header}'`)
      capture.push({ line: p.line, column: p.column, name, from: { kind: 'header', name: from.header.toLowerCase() } })
    }
  }

  const timeoutMs = rc.timeout === undefined ? undefined : duration(rc.timeout, [...at, 'timeout'], report, 1, true)
  return {
    line: pos.line,
    column: pos.column,
    index,
    name: rc.name,
    request: {
      method,
      url: req.url,
      headers: Object.entries(req.headers ?? {}).map(([k, v]) => [k, String(v)]),
      query: Object.entries(req.query ?? {}).map(([k, v]) => [k, String(v)]),
      json: req.json,
      body: req.body
    },
    expect,
    capture,
    needs: rc.needs === undefined ? [] : Array.isArray(rc.needs) ? rc.needs : [rc.needs],
    retries: rc.retries,
    timeoutMs
  }
}

/** An object is a matcher when it uses any operator key; other objects are literal values. */
function isMatcher(v: unknown): v is Record<string, unknown> {
  return (
    v !== null &&
    typeof v === 'object' &&
    !Array.isArray(v) &&
    Object.keys(v).some((k) => (MATCHER_KEYS as readonly string[]).includes(k))
  )
}

function operatorForm(op: string): string {
  switch (op) {
    case 'exists':
      return 'true or false'
    case 'matches':
      return 'a regular expression string'
    case 'gt':
    case 'lt':
      return 'a number'
    case 'length':
      return 'a whole number ≥ 0'
    default:
      return `one of the operators ${MATCHER_KEYS.join(', ')}`
  }
}

/** `/re/flags` → its parts; anything else → undefined (an exact value). */
export function slashRegex(text: string): { source: string; flags: string } | undefined {
  const m = /^\/(.*)\/([dgimsuvy]*)$/s.exec(text)
  return m ? { source: m[1] as string, flags: m[2] as string } : undefined
}

function toRegex(r: { source: string; flags: string }, path: PathKey[], report: Report): RegExp {
  if (/(^|[^\\])\$\{/.test(r.source)) {
    // Regexes are checked before any request, so they cannot depend on captures.
    report(
      path,
      `/${r.source}/ refers to a variable, but regexes do not expand \${VAR}: use an exact value or escape it as \\$\\{`
    )
    return /$^/
  }
  try {
    // g and y make test() stateful across calls; a check must not depend on its previous attempt.
    return new RegExp(r.source, r.flags.replace(/[gy]/g, ''))
  } catch (e) {
    const why = (e as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '')
    report(path, `invalid regular expression /${r.source}/${r.flags}: ${why}`)
    return /$^/
  }
}

function toPath(expr: string, path: PathKey[], report: Report): CompiledPath | undefined {
  try {
    return compilePath(expr)
  } catch (e) {
    report(path, (e as Error).message, path.at(-2) === 'json')
    return undefined
  }
}

/** `timer`: the value becomes a timer, so it is bounded by MAX_TIMER_MS (Node.js fires a longer one after 1 ms). */
function duration(v: string | number, path: PathKey[], report: Report, min = 0, timer = false): number | undefined {
  try {
    const ms = parseDuration(String(v))
    if (ms < min || (timer && ms > MAX_TIMER_MS)) throw new Error()
    return ms
  } catch {
    const bounds = [min > 0 ? 'greater than 0' : '', timer ? MAX_TIMER_FORM : ''].filter(Boolean).join(' and ')
    report(path, `expected a duration such as 250ms, 5s, 2m or 1d${bounds ? `, ${bounds}` : ''}, got '${v}'`)
    return undefined
  }
}

function checkNeeds(checks: Check[], raw: RawSpec, report: Report): void {
  const byName = new Map(checks.map((c) => [c.name, c]))
  for (const c of checks) {
    c.needs.forEach((n, j) => {
      const path: PathKey[] = ['checks', c.index, 'needs', ...(Array.isArray(raw.checks[c.index]?.needs) ? [j] : [])]
      if (n === c.name) report(path, `check '${c.name}' needs itself`)
      else if (!byName.has(n)) report(path, `needs unknown check '${n}' (known: ${[...byName.keys()].join(', ')})`)
    })
  }
  // Depth-first search for a cycle; report it once, at the first check on it.
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (c: Check): boolean => {
    state.set(c.name, 'open')
    stack.push(c.name)
    for (const n of c.needs) {
      const d = byName.get(n)
      if (!d || d === c) continue
      if (state.get(n) === 'open') {
        const cycle = [...stack.slice(stack.indexOf(n)), n]
        const first = byName.get(cycle[0] as string) as Check
        report(['checks', first.index, 'needs'], `needs cycle: ${cycle.join(' → ')}`)
        return true
      }
      if (!state.has(n) && visit(d)) return true
    }
    stack.pop()
    state.set(c.name, 'done')
    return false
  }
  for (const c of checks) if (!state.has(c.name) && visit(c)) return
}

/** Every ${VAR} must come from vars, the SMOKE_* environment (options.env), or a capture of a check needed (directly or not). */
function checkReferences(
  raw: RawSpec,
  checks: Check[],
  vars: Record<string, string>,
  env: Record<string, string | undefined>,
  report: Report
): void {
  const byName = new Map(checks.map((c) => [c.name, c]))
  for (const c of checks) {
    const captured = new Set(neededChecks(c, byName).flatMap((u) => u.capture.map((k) => k.name)))
    const ownCaptures = new Set(c.capture.map((k) => k.name))
    const rc = raw.checks[c.index] as RawCheck
    const at: PathKey[] = ['checks', c.index]
    const sites: Array<[PathKey[], unknown]> = [
      [['request', 'url'], rc.request.url],
      ...Object.entries(rc.request.headers ?? {}).map(([k, v]): [PathKey[], unknown] => [['request', 'headers', k], v]),
      ...Object.entries(rc.request.query ?? {}).map(([k, v]): [PathKey[], unknown] => [['request', 'query', k], v]),
      [['request', 'json'], rc.request.json],
      [['request', 'body'], rc.request.body],
      ...c.expect.headers
        .filter((h) => h.exact !== undefined)
        .map((h): [PathKey[], unknown] => [['expect', 'headers', findKey(rc.expect?.headers, h.name)], h.exact]),
      [['expect', 'body-contains'], rc.expect?.['body-contains']],
      ...c.expect.json
        .filter((j) => j.op === 'equals')
        .map((j): [PathKey[], unknown] => [['expect', 'json', j.path.text], j.expected])
    ]
    for (const [path, value] of sites) {
      let names: string[]
      try {
        names = deepReferences(value)
      } catch (e) {
        report([...at, ...path], (e as Error).message)
        continue
      }
      for (const name of names) {
        if (Object.hasOwn(vars, name) || (Object.hasOwn(env, name) && env[name] !== undefined) || captured.has(name))
          continue
        const hint = ownCaptures.has(name)
          ? ` (it is captured by this check itself; only checks that need '${c.name}' can use it)`
          : ''
        report(
          [...at, ...path],
          `undefined variable \${${name}}: not in vars, SMOKE_* environment variables, or captures of the checks it needs${hint}`
        )
      }
    }
  }
}

function findKey(record: Record<string, unknown> | undefined, lower: string): string {
  return Object.keys(record ?? {}).find((k) => k.toLowerCase() === lower) ?? lower
}
