/**
 * Runs a loaded spec on an HttpClient (node:http by default). Checks start in spec order as soon as
 * the checks they need have passed, at most `concurrency` requests in flight;
 * a check whose needs failed (or were skipped) is skipped without a request.
 * Retries re-send the whole check after a backoff, without holding a slot
 * while they wait, so a slow-to-converge endpoint does not starve the others.
 */
import { SECRET_NAME, Semaphore, backoffDelay, isSecretHeader, maskSecret as registerSecret, sleep } from '@gantry/core'
import { NodeHttpClient } from '../node-client.js'
import type { HttpClient, ProbeResponse } from '../request.js'
import { BodyJson, checkResponse, preview, type Failure } from './assertions.js'
import { evaluate } from './jsonpath.js'
import { neededChecks, type Check, type Spec } from './model.js'
import { expand, expandDeep, type Lookup } from './template.js'

export type CheckVerdict = 'passed' | 'failed' | 'skipped'

export interface CheckResult {
  name: string
  line: number
  result: CheckVerdict
  method: string
  /** The URL of the last attempt (absent when skipped). */
  url?: string
  status?: number
  latencyMs?: number
  attempts: number
  /** Of the last attempt; the first is the one summaries show. */
  failures: Failure[]
  skipReason?: string
  /** The start of the body of a failed check, for the report. */
  bodyExcerpt?: string
  /** Names (not values) of what it captured. */
  captured: string[]
}

export interface SmokeResult {
  checks: CheckResult[]
  total: number
  passed: number
  failed: number
  skipped: number
  durationMs: number
}

export interface RunOptions {
  baseUrl?: string
  env?: Record<string, string | undefined>
  concurrency: number
  /** Default retries of a check that sets none. */
  retries: number
  /** Default per-request timeout of a check that sets none. */
  timeoutMs: number
  failFast?: boolean
  /** Backoff between attempts: attempt n waits about base·2ⁿ (equal jitter), at most max. */
  retryDelayMs?: { base: number; max: number }
  client?: HttpClient
  onResult?: (r: CheckResult) => void
}

/** Variable and capture names that hold credentials (core's one rule). */
export const SECRET_NAMES = SECRET_NAME

const masked = new Set<string>()
/** Registers a secret once (each registration prints an add-mask command). */
function maskSecret(value: string): void {
  if (masked.has(value)) return
  masked.add(value)
  registerSecret(value)
}

export async function runSpec(spec: Spec, options: RunOptions): Promise<SmokeResult> {
  const started = performance.now()
  const client = options.client ?? new NodeHttpClient({ connections: Math.max(1, options.concurrency) })
  const slots = new Semaphore(Math.max(1, options.concurrency))
  const byName = new Map(spec.checks.map((c) => [c.name, c]))
  const captures = new Map<string, Record<string, unknown>>()
  const running = new Map<string, Promise<CheckResult>>()
  const env = options.env ?? {}
  let stopped = false

  const lookupFor = (c: Check): Lookup => {
    // Captures of needed checks, later spec entries winning; then vars; then the environment.
    const ups = neededChecks(c, byName).sort((a, b) => a.index - b.index)
    const merged: Record<string, unknown> = {}
    for (const u of ups) Object.assign(merged, captures.get(u.name))
    const own = Object.hasOwn
    return (name) =>
      own(merged, name) ? merged[name] : own(spec.vars, name) ? spec.vars[name] : own(env, name) ? env[name] : undefined
  }

  const skip = (c: Check, reason: string): CheckResult => ({
    name: c.name,
    line: c.line,
    result: 'skipped',
    method: c.request.method,
    attempts: 0,
    failures: [],
    skipReason: reason,
    captured: []
  })

  const execute = async (c: Check): Promise<CheckResult> => {
    const lookup = lookupFor(c)
    const retries = c.retries ?? options.retries
    const delay = options.retryDelayMs ?? { base: 250, max: 5000 }
    let last: Attempt | undefined
    let attempts = 0
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) {
        if (stopped) break
        await sleep(backoffDelay(attempt - 1, { retries, minDelay: delay.base, maxDelay: delay.max, jitter: 'equal' }))
      }
      const release = await slots.acquire()
      try {
        if (stopped && attempt === 0) return skip(c, 'not started: fail-fast after an earlier failure')
        attempts++
        last = await attemptCheck(c, lookup, client, options).catch((e: unknown) => crashed(c, e))
      } finally {
        release()
      }
      if (last.failures.length === 0) {
        captures.set(c.name, last.captured)
        return finish(c, 'passed', last, attempts)
      }
    }
    if (options.failFast) stopped = true
    return finish(c, 'failed', last as Attempt, attempts)
  }

  const start = (c: Check): Promise<CheckResult> => {
    let p = running.get(c.name)
    if (!p) {
      p = (async () => {
        const deps = await Promise.all(c.needs.map((n) => start(byName.get(n) as Check)))
        const bad = deps.find((d) => d.result !== 'passed')
        if (bad) return skip(c, `needs '${bad.name}', which ${bad.result === 'failed' ? 'failed' : 'was skipped'}`)
        if (stopped) return skip(c, 'not started: fail-fast after an earlier failure')
        return execute(c)
      })().then((r) => {
        options.onResult?.(r)
        return r
      })
      running.set(c.name, p)
    }
    return p
  }

  try {
    const checks = await Promise.all(spec.checks.map(start))
    const count = (v: CheckVerdict) => checks.filter((r) => r.result === v).length
    return {
      checks,
      total: checks.length,
      passed: count('passed'),
      failed: count('failed'),
      skipped: count('skipped'),
      durationMs: Math.round(performance.now() - started)
    }
  } finally {
    if (!options.client) await client.close()
  }
}

interface Attempt {
  url?: string
  response?: ProbeResponse
  failures: Failure[]
  captured: Record<string, unknown>
}

/**
 * A check that threw (a bug, or a value too deep to handle) fails alone, with
 * why: it must not take every other verdict, the report and the JUnit down.
 */
function crashed(c: Check, e: unknown): Attempt {
  const message = e instanceof Error ? e.message : String(e)
  const actual =
    e instanceof RangeError && /call stack/i.test(message)
      ? `a value nested too deeply to handle (${message})`
      : `an error: ${message}`
  return { failures: [{ assertion: 'check', expected: 'a completed check', actual, line: c.line }], captured: {} }
}

function finish(c: Check, result: CheckVerdict, a: Attempt, attempts: number): CheckResult {
  const r: CheckResult = {
    name: c.name,
    line: c.line,
    result,
    method: c.request.method,
    url: a.url,
    status: a.response?.status,
    latencyMs: a.response ? Math.round(a.response.latencyMs * 10) / 10 : undefined,
    attempts,
    failures: a.failures,
    captured: Object.keys(a.captured)
  }
  if (result === 'failed' && a.response?.body) r.bodyExcerpt = a.response.body.slice(0, 500)
  return r
}

/**
 * Resolves a check URL against the base URL: a relative path is appended to the base's path.
 * A URL with a scheme is taken as it is (a file: or gopher: URL is then refused, never appended).
 */
export function resolveUrl(url: string, baseUrl: string | undefined): URL {
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(url) || !baseUrl) return new URL(url)
  const base = baseUrl.replace(/\/+$/, '')
  return new URL(url.startsWith('/') ? `${base}${url}` : `${base}/${url}`)
}

async function attemptCheck(c: Check, lookup: Lookup, client: HttpClient, options: RunOptions): Promise<Attempt> {
  const req = c.request
  let url: URL
  const headers: Array<[string, string]> = []
  let body: string | undefined
  try {
    url = resolveUrl(expand(req.url, lookup), options.baseUrl)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`not an http(s) URL: ${url.href}`)
    for (const [k, v] of req.query) url.searchParams.append(k, expand(v, lookup))
    for (const [k, v] of req.headers) {
      const value = expand(v, lookup)
      if (isSecretHeader(k)) maskSecret(value.replace(/^(Bearer|Basic|Token)\s+/i, ''))
      headers.push([k, value])
    }
    if (req.json !== undefined) {
      body = JSON.stringify(expandDeep(req.json, lookup))
      if (!headers.some(([k]) => k.toLowerCase() === 'content-type')) headers.push(['content-type', 'application/json'])
    } else if (req.body !== undefined) {
      body = expand(req.body, lookup)
    }
  } catch (e) {
    const message = (e as Error).message
    const actual =
      e instanceof RangeError && /call stack/i.test(message)
        ? `a value nested too deeply to send (${message})`
        : message
    return {
      failures: [{ assertion: 'request', expected: 'a valid request', actual, line: c.line }],
      captured: {}
    }
  }

  const response = await client.send({
    url,
    method: req.method,
    headers,
    body,
    timeoutMs: c.timeoutMs ?? options.timeoutMs
  })
  const json = new BodyJson(response.body)
  const failures = checkResponse(c.expect, response, json, lookup, c.line)
  const captured: Record<string, unknown> = {}
  if (failures.length === 0) {
    for (const cap of c.capture) {
      let value: unknown
      if (cap.from.kind === 'header') {
        value = response.headers[cap.from.name]
      } else {
        const doc = json.get()
        if (!doc.ok) {
          failures.push({
            assertion: `capture ${cap.name}`,
            expected: 'a JSON body',
            actual: doc.error,
            line: cap.line
          })
          continue
        }
        const r = evaluate(cap.from.path, doc.value)
        value = r.found ? r.value : undefined
      }
      if (value === undefined) {
        const from = cap.from.kind === 'header' ? `header ${cap.from.name}` : cap.from.path.text
        failures.push({
          assertion: `capture ${cap.name}`,
          expected: `a value at ${from}`,
          actual: 'nothing',
          line: cap.line
        })
        continue
      }
      if (SECRET_NAMES.test(cap.name) && typeof value === 'string') maskSecret(value)
      captured[cap.name] = value
    }
  }
  return { url: url.href, response, failures, captured }
}

export { preview }
