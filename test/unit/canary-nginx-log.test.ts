// The nginx-log source's parts with files in a temp dir: the line parser
// (addresses, retried upstreams, "-" values, bad lines), the tally per
// variant, offsets across reads, rotation (rename, copytruncate, the old file
// gone) and the check of the access-log input.
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  LineSplitter,
  LocalLogAccess,
  SshLogAccess,
  LogCursor,
  LogTally,
  checkAccessLog,
  nginxLogSource,
  parseLine,
  parseLineFast,
  splitList,
  type Variant
} from '@gantry/canary'
import type { SshTarget } from '@gantry/release'

const B = '127.0.0.1:3001'
const C = '127.0.0.1:3002'
const variants = new Map<string, Variant>([
  [B, 'baseline'],
  [C, 'canary']
])

const line = (addr: string, status: number | string, time: string, extra: Record<string, string> = {}) =>
  JSON.stringify({
    msec: '1700000000.123',
    status: String(status),
    upstream_addr: addr,
    upstream_response_time: time,
    ...extra
  })

describe('parseLine', () => {
  test('one upstream: address, status, latency in ms', () => {
    expect(parseLine(line(B, 200, '0.012'))).toEqual({ addr: B, earlier: [], status: 200, latencyMs: 12 })
    // Numbers as well as strings.
    expect(parseLine('{"upstream_addr":"127.0.0.1:3002","status":503,"upstream_response_time":0.5}')).toEqual({
      addr: C,
      earlier: [],
      status: 503,
      latencyMs: 500
    })
  })

  test('retried: the last address and the last time; the earlier attempts listed', () => {
    expect(parseLine(line(`${C}, ${B}`, 200, '0.001, 0.020'))).toEqual({
      addr: B,
      earlier: [C],
      status: 200,
      latencyMs: 20
    })
    // Across an internal redirect to another upstream group: " : ".
    expect(parseLine(line(`${C}, ${B} : unix:/run/app.sock`, 200, '0.001, 0.002 : 0.004'))).toMatchObject({
      addr: 'unix:/run/app.sock',
      earlier: [C, B],
      latencyMs: 4
    })
    expect(splitList('a:1, b:2 : c:3')).toEqual(['a:1', 'b:2', 'c:3'])
  })

  test('"-" values: no upstream, no latency', () => {
    expect(parseLine(line('-', 404, '-'))).toEqual({ addr: undefined, earlier: [], status: 404, latencyMs: undefined })
    expect(parseLine(line(C, 502, '-'))).toEqual({ addr: C, earlier: [], status: 502, latencyMs: undefined })
  })

  test('bad lines: not JSON, lacking fields', () => {
    expect(parseLine('127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 2326')).toEqual({
      bad: 'not JSON'
    })
    expect(parseLine('{"upstream_addr":"127.0.0.1:3001"')).toEqual({ bad: 'not JSON' })
    expect(parseLine('[1,2]')).toEqual({ bad: 'not JSON' })
    expect(parseLine('{"upstream_addr":"127.0.0.1:3001","status":"200"}')).toEqual({
      bad: 'lacks fields',
      fields: ['upstream_response_time']
    })
    expect(parseLine('{"status":"abc","upstream_response_time":"0.1"}')).toEqual({
      bad: 'lacks fields',
      fields: ['upstream_addr', 'status']
    })
  })
})

describe('parseLineFast', () => {
  test('agrees with the reference parseLine on every form', () => {
    const lines = [
      line(B, 200, '0.012'),
      line(C, 503, '-'),
      line('-', 404, '-'),
      line(`${C}, ${B}`, 200, '0.001, 0.020'),
      line(`${C}, ${B} : ${C}`, 200, '0.001, 0.002 : 0.3'),
      line(` ${B}`, 200, '0.1'),
      line(B, 'abc', '0.1'),
      line(B, 200, ''),
      line(B, 200, 'x'),
      line(B, 200, ' 0.5'),
      '{"upstream_addr":"127.0.0.1:3002","status":503,"upstream_response_time":0.5}',
      '{"upstream_addr":7,"status":"200","upstream_response_time":"0.5"}',
      '{"status":"200"}',
      'null',
      '[]',
      '"text"',
      '{"upstream_addr":"a"',
      'not json'
    ]
    for (let i = 0; i < 200; i++)
      lines.push(line(i % 3 ? B : C, 200 + (i % 7) * 50, i % 11 ? (i / 1000).toFixed(3) : '-'))
    for (const l of lines) expect([l, parseLineFast(l)]).toEqual([l, parseLine(l)])
  })
})

describe('LogTally', () => {
  test('per variant: latencies, 5xx out of requests, earlier attempts as errors; the rest said', () => {
    const t = new LogTally(variants)
    for (const l of [
      line(B, 200, '0.010'),
      line(B, 200, '0.012'),
      line(C, 200, '0.020'),
      line(C, 500, '0.001'),
      line(C, 502, '-'),
      line(`${C}, ${B}`, 200, '0.001, 0.011'),
      line('-', 404, '-'),
      line('10.0.0.9:80', 200, '0.1'),
      'not json',
      '{"status":"200"}',
      '',
      '   '
    ])
      t.line(l)
    const d = t.data('latency', 'error-rate')
    expect(d.latency).toEqual({
      baseline: { kind: 'values', values: [10, 12, 11] },
      canary: { kind: 'values', values: [20, 1] }
    })
    expect(d['error-rate']).toEqual({
      baseline: { kind: 'count', events: 0, total: 3 },
      canary: { kind: 'count', events: 3, total: 4 }
    })
    expect(t.counts).toMatchObject({
      lines: 10,
      notJson: 1,
      lackingFields: 1,
      noUpstream: 1,
      other: 1,
      noLatency: 1,
      retried: 1
    })
    expect(t.takeRecent().map((s) => s.status)).toEqual([200, 500, 502, 502])
    expect(t.takeRecent()).toEqual([])
    const notes = t.notes().join('\n')
    expect(notes).toContain('baseline 3 request(s) (3 latencies), canary 4 request(s) (2 latencies)')
    expect(notes).toContain('left out as no data: 1 not JSON; 1 lacking upstream_addr/status/upstream_response_time')
    expect(notes).toContain('10.0.0.9:80 ×1')
    expect(notes).toContain('1 without an upstream')
  })
})

describe('LineSplitter', () => {
  test('lines across chunks; the incomplete tail is not consumed; CRLF', () => {
    const lines: string[] = []
    const s = new LineSplitter((l) => lines.push(l))
    s.push(Buffer.from('ab'))
    s.push(Buffer.from('c\r\nde'))
    s.push(Buffer.from('f\ngh'))
    expect(lines).toEqual(['abc', 'def'])
    expect(s.consumed).toBe(9)
    expect(s.pending).toBe(2)
    s.flush()
    expect(lines).toEqual(['abc', 'def', 'gh'])
    expect(s.consumed).toBe(11)
  })
})

describe('LogCursor on files', () => {
  let dir: string
  let log: string
  const access = new LocalLogAccess(7) // tiny chunks: lines cross them
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gantry-nginx-log-'))
    log = join(dir, 'access.json')
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  const read = async (c: LogCursor) => {
    const got: string[] = []
    await c.advance((l) => got.push(l))
    return got
  }

  test('starts at the end; reads what is appended, each line once; a half-written line waits', async () => {
    writeFileSync(log, 'old1\nold2\n')
    const c = new LogCursor(access, log)
    await c.start()
    expect(await read(c)).toEqual([])
    appendFileSync(log, 'a\nb\nhal')
    expect(await read(c)).toEqual(['a', 'b'])
    appendFileSync(log, 'f\nc\n')
    expect(await read(c)).toEqual(['half', 'c'])
    expect(await read(c)).toEqual([])
    expect(c.notes).toEqual([])
  })

  test('rotated by rename: the rest of the old file from .1, then the new file from its start', async () => {
    writeFileSync(log, 'old\n')
    const c = new LogCursor(access, log)
    await c.start()
    appendFileSync(log, 'a\n')
    expect(await read(c)).toEqual(['a'])
    appendFileSync(log, 'b\nlast-without-newline')
    renameSync(log, `${log}.1`)
    writeFileSync(log, 'new1\n')
    expect(await read(c)).toEqual(['b', 'last-without-newline', 'new1'])
    expect(c.notes.join()).toContain('was rotated: the rest of the old file was read from')
    appendFileSync(log, 'new2\n')
    expect(await read(c)).toEqual(['new2'])
  })

  test('rotated and the old file gone (compressed): said; the new file read', async () => {
    writeFileSync(log, 'x\n')
    const c = new LogCursor(access, log)
    await c.start()
    appendFileSync(log, 'lost\n')
    writeFileSync(`${log}.1`, 'another file\n')
    // The new file may get the old one's inode: the line end before the offset tells them apart.
    rmSync(log)
    writeFileSync(log, 'new line\n')
    expect(await read(c)).toEqual(['new line'])
    expect(c.notes.join()).toMatch(/lines after byte 2 are lost/)
  })

  test('copytruncate: the rest from the copy, then the file from its start', async () => {
    writeFileSync(log, 'x\n')
    const c = new LogCursor(access, log)
    await c.start()
    appendFileSync(log, 'a\nb\n')
    writeFileSync(`${log}.1`, 'x\na\nb\n')
    truncateSync(log, 0)
    expect(await read(c)).toEqual(['a', 'b'])
    appendFileSync(log, 'n\n')
    expect(await read(c)).toEqual(['n'])
    // Truncated and written past the offset again between two reads: not a line end before it.
    appendFileSync(log, 'c\n')
    writeFileSync(`${log}.1`, 'n\nc\n')
    truncateSync(log, 0)
    appendFileSync(log, 'longer line\n')
    expect(await read(c)).toEqual(['c', 'longer line'])
    expect(c.notes.join()).toContain('truncated (copytruncate)')
  })

  test('gone, then back: read from its start', async () => {
    writeFileSync(log, 'x\n')
    const c = new LogCursor(access, log)
    await c.start()
    rmSync(log)
    expect(await read(c)).toEqual([])
    writeFileSync(log, 'back\n')
    expect(await read(c)).toEqual(['back'])
    expect(c.notes.join()).toContain('is gone')
  })
})

describe('the access-log check and the source', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gantry-nginx-log-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))
  const access = new LocalLogAccess()

  test('missing, not JSON, lacking fields: one line naming the input; empty or good: fine', async () => {
    const p = join(dir, 'a.json')
    await expect(checkAccessLog(access, p)).rejects.toThrow(
      /^Input 'access-log' has invalid value '.*': no such file on local/
    )
    writeFileSync(p, '\n127.0.0.1 - - "GET /" 200\n')
    await expect(checkAccessLog(access, p)).rejects.toThrow(/^Input 'access-log' .*its first line is not JSON/)
    writeFileSync(p, '{"status":"200"}\n')
    await expect(checkAccessLog(access, p)).rejects.toThrow(/lacks upstream_addr, upstream_response_time/)
    await expect(checkAccessLog(access, dir)).rejects.toThrow(/^Input 'access-log' .*not a regular file/)
    writeFileSync(p, '')
    await expect(checkAccessLog(access, p)).resolves.toBeUndefined()
    writeFileSync(p, `\n${line(B, 200, '0.1')}\nnot json\n`)
    await expect(checkAccessLog(access, p)).resolves.toBeUndefined()
  })

  test('a window: the lines appended between begin and end, per variant; recent() the canary only', async () => {
    const p = join(dir, 'a.json')
    writeFileSync(p, `${line(C, 500, '0.1')}\n`)
    const src = nginxLogSource({ path: p, access, variants, pollMs: 10 })
    await src.open()
    const w = src.begin(1000, new AbortController().signal)
    // The start offset is taken asynchronously: wait until the first poll has run.
    await new Promise((r) => setTimeout(r, 30))
    appendFileSync(p, `${line(B, 200, '0.010')}\n${line(C, 200, '0.030')}\n`)
    let recent: unknown[] = []
    for (const t0 = Date.now(); recent.length === 0 && Date.now() - t0 < 2000;)
      await new Promise((r) => setTimeout(r, 10)).then(() => (recent = w.recent()))
    expect(recent).toEqual([{ status: 200, latencyMs: 30 }])
    appendFileSync(p, `${line(C, 503, '0.002')}\n`)
    const data = await w.end()
    expect(data.latency).toEqual({
      baseline: { kind: 'values', values: [10] },
      canary: { kind: 'values', values: [30, 2] }
    })
    expect(data['error-rate']).toEqual({
      baseline: { kind: 'count', events: 0, total: 1 },
      canary: { kind: 'count', events: 1, total: 2 }
    })
    expect(w.notes!().join()).toContain('3 log line(s)')
  })
})

describe('SshLogAccess: its fixed scripts, run by sh here as the ssh target runs them', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gantry-nginx-log-ssh-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))
  // SshTarget.exec's convention: sh -c <script> gantry-<op> <path> <args…>, every word an argument.
  const target = {
    exec: async (op: string, script: string, args: readonly string[]) => {
      const r = spawnSync('sh', ['-c', script, `gantry-${op}`, dir, ...args])
      return { code: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') }
    }
  } as unknown as SshTarget

  test('stat, chunked reads of a range, the inode checked; absent and not-a-file', async () => {
    const p = join(dir, "it's a log.json")
    writeFileSync(p, 'line one\nline two\nline three\n')
    const a = new SshLogAccess('user@host', target, 4)
    const local = await new LocalLogAccess().stat(p)
    expect(await a.stat(p)).toEqual(local)
    const got: Buffer[] = []
    expect(await a.read(p, local!.ino, 5, 22, (b) => got.push(Buffer.from(b)))).toBe(true)
    expect(Buffer.concat(got).toString()).toBe('one\nline two\nline')
    expect(await a.read(p, '1', 0, 5, () => undefined)).toBe(false)
    expect(await a.stat(join(dir, 'none'))).toBeUndefined()
    await expect(a.stat(dir)).rejects.toThrow(/is not a regular file/)
    const c = new LogCursor(a, p)
    await c.start()
    appendFileSync(p, 'four\nfive\n')
    const lines: string[] = []
    await c.advance((l) => lines.push(l))
    expect(lines).toEqual(['four', 'five'])
  })
})
