/**
 * The `nginx-log` source: the router's real traffic, from nginx's JSON access
 * log on the router host (README: the log_format). Each window starts at the
 * log's end when it begins and reads what is appended, every POLL_MS and at
 * its end (streamed: bounded memory whatever the size); each line goes to the
 * variant whose `servers` address is the last `$upstream_addr`
 * (nginx-log-parse.ts). Metrics as the probe's: `latency` (ms,
 * `$upstream_response_time`) and `error-rate` (`$status` ≥ 500 out of the
 * requests, critical).
 */
import { InputError, fields, optional } from '@gantry/core'
import { PROBE_METRICS, RESPONSE_METRICS } from '../probe-source.js'
import type { MetricSource, Window, WindowData } from '../source.js'
import { LogCursor, logAccessOf, type LogAccess } from './nginx-log-file.js'
import { LogTally, parseLine, REQUIRED_FIELDS, type Variant } from './nginx-log-parse.js'
import type { SourceKindOf } from './kind.js'

export const NGINX_LOG_METRICS = PROBE_METRICS

/** How often a window reads what was appended (the guard sees the canary's lines at most this late). */
export const POLL_MS = 1000

/** The head read to check the log: its first non-empty line must be in the log_format. */
const HEAD_BYTES = 64 * 1024

export interface NginxLogOptions {
  path: string
  access: LogAccess
  /** Upstream address → variant. */
  variants: ReadonlyMap<string, Variant>
  pollMs?: number
  /** Frees what the source was given (the action's HTTP client). */
  close?: () => Promise<void>
}

const INPUT = 'access-log'

/**
 * The check on the router host, before anything moves: the log exists, is a
 * file, and (if not empty) its first non-empty line is JSON with the fields.
 */
export async function checkAccessLog(access: LogAccess, path: string): Promise<void> {
  const fail = (why: string) =>
    new InputError(
      `Input '${INPUT}' has invalid value '${path}': ${why}; expected nginx's JSON access log (log_format … escape=json with ${REQUIRED_FIELDS.join(', ')}: see the canary README)`
    )
  let s
  try {
    s = await access.stat(path)
  } catch (e) {
    throw fail((e as Error).message)
  }
  if (!s) throw fail(`no such file on ${access.where}`)
  if (s.size === 0) return
  const chunks: Buffer[] = []
  await access.read(path, s.ino, 0, Math.min(s.size, HEAD_BYTES), (b) => chunks.push(Buffer.from(b)))
  const head = Buffer.concat(chunks).toString('utf8')
  const lines = head.split('\n')
  // The last piece may be cut at HEAD_BYTES: only complete lines are judged.
  const complete = s.size > HEAD_BYTES ? lines.slice(0, -1) : lines
  const first = complete.map((l) => l.trim()).find((l) => l !== '')
  if (first === undefined) {
    if (s.size > HEAD_BYTES) throw fail(`its first line is longer than ${HEAD_BYTES} bytes`)
    return
  }
  const r = parseLine(first)
  if ('bad' in r)
    throw fail(
      r.bad === 'not JSON'
        ? `its first line is not JSON (${JSON.stringify(first.slice(0, 80))})`
        : `its first line lacks ${r.fields.join(', ')}`
    )
}

export function nginxLogSource(o: NginxLogOptions): MetricSource & { open(): Promise<void> } {
  const pollMs = o.pollMs ?? POLL_MS
  return {
    name: 'nginx-log',
    metrics: [...RESPONSE_METRICS],
    open: () => checkAccessLog(o.access, o.path),
    begin(_durationMs, signal): Window {
      const tally = new LogTally(o.variants)
      const cursor = new LogCursor(o.access, o.path)
      const onLine = (l: string) => tally.line(l)
      const failures: string[] = []
      let stopped = false
      // One read at a time: the start, then every pollMs, then the end's.
      let chain: Promise<void> = cursor.start()
      const poll = () => {
        chain = chain
          .then(() => (stopped ? undefined : cursor.advance(onLine)))
          .catch((e: Error) => {
            // A failed read is tried again at the next poll; the end's read must succeed.
            if (failures.length < 3) failures.push(`a read failed and was tried again: ${e.message}`)
          })
      }
      const timer = setInterval(poll, pollMs)
      const stop = () => {
        stopped = true
        clearInterval(timer)
      }
      signal.addEventListener('abort', stop, { once: true })
      return {
        recent: () => tally.takeRecent(),
        async end(): Promise<WindowData> {
          clearInterval(timer)
          signal.removeEventListener('abort', stop)
          await chain
          stopped = true
          await cursor.advance(onLine)
          return tally.data(PROBE_METRICS.latency, PROBE_METRICS.errors)
        },
        notes: () => [...tally.notes(), ...cursor.notes, ...failures],
        cancel: stop
      }
    },
    close: async () => {
      await o.close?.()
    }
  }
}

const inputs = {
  [INPUT]: optional(fields.path())
}

export const nginxLogKind = {
  name: 'nginx-log' as const,
  inputs,
  secrets: [],
  check(v) {
    if (!v[INPUT])
      throw new InputError(
        `Input '${INPUT}' is required when analysis is nginx-log: expected the path of nginx's JSON access log on the router host`
      )
    const addr = (name: string) => v.servers.find((s) => s.name === name)?.address
    const b = addr(v['baseline-server'])
    const c = addr(v['canary-server'])
    if (b !== undefined && b === c)
      throw new InputError(
        `Input 'servers' has invalid value '${b}': baseline-server and canary-server have the same address, so the access log cannot tell them apart; expected each its own address`
      )
  },
  make(v, ctx) {
    const variants = new Map<string, Variant>()
    for (const s of v.servers) {
      if (s.name === v['baseline-server']) variants.set(s.address, 'baseline')
      if (s.name === v['canary-server']) variants.set(s.address, 'canary')
    }
    return nginxLogSource({
      path: v[INPUT]!,
      access: logAccessOf(ctx.host),
      variants,
      close: () => ctx.client.close()
    })
  }
} satisfies SourceKindOf<typeof inputs>
