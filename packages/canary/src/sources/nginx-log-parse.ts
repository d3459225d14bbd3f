/**
 * The nginx JSON access log, pure: one line → one request (README's
 * `log_format gantry_json escape=json`), and the tally of a window's lines per
 * variant. A request is attributed to the **last** address of
 * `$upstream_addr` (the upstream that gave the answer: nginx lists every
 * attempt, `addr1, addr2`, and `addr1, addr2 : addr3` across an internal
 * redirect); its latency is the last attempt's `$upstream_response_time` in ms
 * and its status is `$status`. Each earlier attempt failed (nginx moved on
 * because of it: proxy_next_upstream) and is counted as an error of its own
 * upstream's variant (an event out of one request), with no latency, so a
 * canary whose failures nginx retries on the baseline still shows them.
 */
import type { HealthSample } from '@gantry/probe'
import type { MetricData } from '../source.js'

/** The fields a line must have (README: the log_format). */
export const REQUIRED_FIELDS = ['upstream_addr', 'status', 'upstream_response_time'] as const

export interface LogRequest {
  /** The upstream that answered: the last address; undefined for `-` (nginx answered itself). */
  addr?: string
  /** Earlier attempts' addresses (failed, retried elsewhere), oldest first. */
  earlier: string[]
  status: number
  /** The last attempt's `$upstream_response_time` in ms; undefined when `-`. */
  latencyMs?: number
}

/** Why a line was left out: not JSON, or JSON without a required field (or with one of the wrong form). */
export type BadLine = { bad: 'not JSON' } | { bad: 'lacks fields'; fields: string[] }

/** `a, b : c` → [a, b, c] (nginx's separators: ", " between attempts, " : " between upstream groups). */
export function splitList(v: string): string[] {
  return v
    .split(/, | : /)
    .map((s) => s.trim())
    .filter((s) => s !== '')
}

const text = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined

/** One parsed JSON object (a line) → the request, or what it lacks. */
export function requestOf(o: unknown): LogRequest | BadLine {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return { bad: 'not JSON' }
  const r = o as Record<string, unknown>
  const addr = text(r.upstream_addr)
  const status = Number(text(r.status))
  const time = text(r.upstream_response_time)
  const lacking: string[] = []
  if (addr === undefined || addr === '') lacking.push('upstream_addr')
  if (!Number.isInteger(status) || status < 100 || status > 999) lacking.push('status')
  if (time === undefined || time === '') lacking.push('upstream_response_time')
  if (lacking.length > 0) return { bad: 'lacks fields', fields: lacking }
  const addrs = splitList(addr!)
  const last = addrs.at(-1)
  const lastTime = splitList(time!).at(-1)
  const seconds = lastTime === undefined || lastTime === '-' ? NaN : Number(lastTime)
  return {
    addr: last === undefined || last === '-' ? undefined : last,
    earlier: addrs.slice(0, -1).filter((a) => a !== '-'),
    status,
    latencyMs: Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined
  }
}

/** The reference: one line of text → the request, or why it is left out. */
export function parseLine(line: string): LogRequest | BadLine {
  let o: unknown
  try {
    o = JSON.parse(line)
  } catch {
    return { bad: 'not JSON' }
  }
  return requestOf(o)
}

const NONE: string[] = []
Object.freeze(NONE)

/**
 * The fast path, as parseLine gives (a test holds them equal): JSON.parse,
 * then the common line (one upstream, strings or numbers, no list) read
 * without splitting or copying; anything else goes to requestOf.
 */
export function parseLineFast(line: string): LogRequest | BadLine {
  let o: Record<string, unknown>
  try {
    o = JSON.parse(line) as Record<string, unknown>
  } catch {
    return { bad: 'not JSON' }
  }
  if (typeof o !== 'object' || o === null) return { bad: 'not JSON' }
  const addr = o.upstream_addr
  const time = o.upstream_response_time
  const st = o.status
  if (
    typeof addr === 'string' &&
    typeof time === 'string' &&
    addr !== '' &&
    addr !== '-' &&
    time !== '' &&
    addr.indexOf(',') === -1 &&
    addr.indexOf(' : ') === -1 &&
    addr.charCodeAt(0) > 32 &&
    addr.charCodeAt(addr.length - 1) > 32 &&
    time.indexOf(',') === -1 &&
    time.indexOf(' : ') === -1 &&
    time.charCodeAt(0) > 32
  ) {
    const status = typeof st === 'string' ? Number(st) : typeof st === 'number' ? st : NaN
    if (Number.isInteger(status) && status >= 100 && status <= 999) {
      const seconds = time === '-' ? NaN : Number(time)
      return {
        addr,
        earlier: NONE,
        status,
        latencyMs: Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined
      }
    }
  }
  return requestOf(o)
}

export type Variant = 'baseline' | 'canary'

interface VariantTally {
  latencies: number[]
  errors: number
  requests: number
}

/** What a window's lines came to, besides the variants' points. */
export interface TallyCounts {
  lines: number
  notJson: number
  lackingFields: number
  /** `$upstream_addr` `-`: nginx answered itself (no upstream). */
  noUpstream: number
  /** Answered by an upstream that is neither variant's address, by address (the first 20 addresses). */
  other: number
  otherAddrs: Map<string, number>
  /** Requests that got a response but no `$upstream_response_time` (`-`): in error-rate, not in latency. */
  noLatency: number
  /** Earlier attempts counted as errors of their variant. */
  retried: number
}

/**
 * A window's lines, per variant: latencies (ms), errors (`$status` ≥ 500, and
 * each failed earlier attempt) out of requests. `canaryRecent` holds the
 * canary's requests since the last take, for the guard.
 */
export class LogTally {
  readonly baseline: VariantTally = { latencies: [], errors: 0, requests: 0 }
  readonly canary: VariantTally = { latencies: [], errors: 0, requests: 0 }
  readonly counts: TallyCounts = {
    lines: 0,
    notJson: 0,
    lackingFields: 0,
    noUpstream: 0,
    other: 0,
    otherAddrs: new Map(),
    noLatency: 0,
    retried: 0
  }
  private recent: HealthSample[] = []
  /** The first line left out, for the notes (clipped). */
  firstBad?: string

  /** @param variants upstream address → variant (the servers input's addresses of baseline-server and canary-server). */
  constructor(private readonly variants: ReadonlyMap<string, Variant>) {}

  /** One line (without its newline); blank lines are skipped. */
  line(line: string): void {
    // Blank lines skipped; trim() only when the line starts with whitespace (not on the hot path).
    if (line.length === 0 || (line.charCodeAt(0) <= 32 && line.trim() === '')) return
    this.add(parseLineFast(line), line)
  }

  add(r: LogRequest | BadLine, line?: string): void {
    const c = this.counts
    c.lines++
    if ('bad' in r) {
      if (r.bad === 'not JSON') c.notJson++
      else c.lackingFields++
      if (this.firstBad === undefined && line !== undefined) this.firstBad = line.slice(0, 120)
      return
    }
    for (const a of r.earlier) {
      const v = this.variants.get(a)
      if (!v) continue
      this[v].errors++
      this[v].requests++
      c.retried++
      if (v === 'canary') this.recent.push({ status: 502, latencyMs: 0 })
    }
    if (r.addr === undefined) {
      c.noUpstream++
      return
    }
    const v = this.variants.get(r.addr)
    if (!v) {
      c.other++
      if (c.otherAddrs.has(r.addr) || c.otherAddrs.size < 20)
        c.otherAddrs.set(r.addr, (c.otherAddrs.get(r.addr) ?? 0) + 1)
      return
    }
    const t = this[v]
    t.requests++
    if (r.status >= 500) t.errors++
    if (r.latencyMs === undefined) c.noLatency++
    else t.latencies.push(r.latencyMs)
    if (v === 'canary') this.recent.push({ status: r.status, latencyMs: r.latencyMs ?? 0 })
  }

  /** The canary's requests since the last call. */
  takeRecent(): HealthSample[] {
    const out = this.recent
    this.recent = []
    return out
  }

  /** The metrics' data: latency (values, ms) and error-rate (count). */
  data(latency: string, errors: string): Record<string, { baseline: MetricData; canary: MetricData }> {
    const values = (t: VariantTally): MetricData => ({ kind: 'values', values: t.latencies })
    const count = (t: VariantTally): MetricData => ({ kind: 'count', events: t.errors, total: t.requests })
    return {
      [latency]: { baseline: values(this.baseline), canary: values(this.canary) },
      [errors]: { baseline: count(this.baseline), canary: count(this.canary) }
    }
  }

  /** What the summary says about this window: the points per variant and every line left out, by why. */
  notes(): string[] {
    const c = this.counts
    const out = [
      `${c.lines} log line(s): baseline ${this.baseline.requests} request(s) (${this.baseline.latencies.length} latencies), canary ${this.canary.requests} request(s) (${this.canary.latencies.length} latencies)`
    ]
    const left: string[] = []
    if (c.notJson) left.push(`${c.notJson} not JSON`)
    if (c.lackingFields) left.push(`${c.lackingFields} lacking ${REQUIRED_FIELDS.join('/')}`)
    if (c.noUpstream) left.push(`${c.noUpstream} without an upstream (upstream_addr -)`)
    if (c.other)
      left.push(
        `${c.other} from other upstreams (${[...c.otherAddrs].map(([a, n]) => `${a} ×${n}`).join(', ')}${c.otherAddrs.size >= 20 ? ', …' : ''})`
      )
    if (left.length)
      out.push(
        `left out as no data: ${left.join('; ')}${this.firstBad ? `; first bad line: ${JSON.stringify(this.firstBad)}` : ''}`
      )
    if (c.noLatency) out.push(`${c.noLatency} request(s) without upstream_response_time (-): in error-rate only`)
    if (c.retried) out.push(`${c.retried} earlier attempt(s) of retried requests counted as errors of their upstream`)
    return out
  }
}

/**
 * Splits a byte stream into lines and feeds a tally: only complete lines (up to
 * a newline) are consumed; what follows the last newline is left for the next
 * read (nginx may be writing it). Lines are decoded as latin1: every field
 * read is ASCII, and JSON.parse sees the same structure whatever other fields
 * hold (latin1 decoding is the cheapest, and never fails).
 */
export class LineSplitter {
  /** The incomplete line after the last newline (latin1: one char a byte). */
  private rest = ''
  /** Bytes consumed through the last newline. */
  consumed = 0

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    // One decode a chunk; lines are slices of it. latin1: offsets in chars are offsets in bytes.
    const text = this.rest === '' ? chunk.toString('latin1') : this.rest + chunk.toString('latin1')
    let start = 0
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl
      this.onLine(text.slice(start, end))
      this.consumed += nl + 1 - start
      start = nl + 1
    }
    this.rest = start < text.length ? text.slice(start) : ''
  }

  /** Bytes after the last newline (an incomplete line). */
  get pending(): number {
    return this.rest.length
  }

  /** The last line even without its newline (the end of a rotated file, complete as it will ever be). */
  flush(): void {
    if (this.rest !== '') {
      this.onLine(this.rest)
      this.consumed += this.rest.length
      this.rest = ''
    }
  }
}
