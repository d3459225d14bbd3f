// The release model: ids, history (rollback target, prune), lock staleness, command splitting, tar entry checks.
import { describe, expect, test } from '@jest/globals'
import {
  addEvent,
  defaultReleaseId,
  emptyHistory,
  isValidReleaseId,
  markBad,
  parseHistory,
  pruneList,
  rollbackSummary,
  rollbackTarget,
  splitCommand,
  unhealthyAfterRollback,
  staleReason,
  uniqueId,
  unsafeEntry,
  judge,
  MAX_EVENTS,
  MAX_PRUNED,
  trimPruned,
  type History,
  type LockInfo,
  type ReleaseRecord,
  lockMatches,
  lockToken,
  parseLock
} from '@gantry/release'
import type { HealthSample } from '@gantry/probe'

function rec(id: string, extra: Partial<ReleaseRecord> = {}): ReleaseRecord {
  return { id, createdAt: '2026-01-01T00:00:00Z', status: 'good', activatedAt: '2026-01-01T00:00:01Z', ...extra }
}

function hist(...rs: ReleaseRecord[]): History {
  return { version: 1, releases: rs, events: [] }
}

describe('release ids', () => {
  test('default id is <UTC yyyymmddThhmmssZ>-<sha7>', () => {
    expect(defaultReleaseId(new Date('2026-11-23T18:04:55.123Z'), '0123456789abcdef')).toBe('20261123T180455Z-0123456')
    expect(defaultReleaseId(new Date('2026-11-23T18:04:55Z'), undefined)).toBe('20261123T180455Z-local')
  })
  test('collisions get -2, -3', () => {
    expect(uniqueId('a', new Set())).toBe('a')
    expect(uniqueId('a', new Set(['a', 'a-2']))).toBe('a-3')
  })
  test.each(['v1', 'release_2.0', '20261123T180455Z-0123456'])('accepts %p', (id) =>
    expect(isValidReleaseId(id)).toBe(true)
  )
  test.each(['', '.', '..', '../x', 'a/b', '-x', '.hidden', 'a b', 'a..b', 'x'.repeat(129)])('rejects %p', (id) =>
    expect(isValidReleaseId(id)).toBe(false)
  )
})

describe('rollback target', () => {
  const onDisk = (...ids: string[]) => new Set(ids)
  test('newest good release older than current', () => {
    const h = hist(rec('a'), rec('b'), rec('c'))
    expect(rollbackTarget(h, 'c', onDisk('a', 'b', 'c'))).toBe('b')
  })
  test('skips bad releases, never-activated ones and pruned or missing ones', () => {
    const h = hist(
      rec('a'),
      rec('b', { status: 'bad' }),
      rec('c', { activatedAt: undefined }),
      rec('d', { prunedAt: 'x' }),
      rec('e'),
      rec('f')
    )
    expect(rollbackTarget(h, 'f', onDisk('a', 'b', 'c', 'd', 'f'))).toBe('a')
  })
  test('never newer than current (after a rollback, the next goes further back)', () => {
    const h = hist(rec('a'), rec('b'), rec('c', { status: 'bad' }))
    expect(rollbackTarget(h, 'b', onDisk('a', 'b', 'c'))).toBe('a')
  })
  test('nothing when there is no good older release', () => {
    expect(rollbackTarget(hist(rec('a')), 'a', onDisk('a'))).toBeUndefined()
    expect(rollbackTarget(hist(rec('a', { status: 'bad' }), rec('b')), 'b', onDisk('a', 'b'))).toBeUndefined()
  })
  test('current unknown to history: newest good', () => {
    expect(rollbackTarget(hist(rec('a'), rec('b')), 'manual', onDisk('a', 'b', 'manual'))).toBe('b')
  })
})

describe('prune', () => {
  const all = (h: History) => new Set(h.releases.map((r) => r.id))
  test('removes the oldest beyond keep', () => {
    const h = hist(rec('a'), rec('b'), rec('c'), rec('d'))
    expect(pruneList(h, 'd', all(h), 2)).toEqual(['a', 'b'])
  })
  test('never removes current or the newest good one (the rollback target)', () => {
    // d current and bad-to-be; b is the newest good older than d; c bad.
    const h = hist(rec('a'), rec('b'), rec('c', { status: 'bad' }), rec('d'))
    expect(pruneList(h, 'd', all(h), 1)).toEqual(['a', 'c'])
  })
  test('after a rollback to an old release, newer releases are candidates but the newest good stays', () => {
    const h = hist(rec('a'), rec('b'), rec('c', { status: 'bad' }))
    expect(pruneList(h, 'a', all(h), 1)).toEqual(['c'])
  })
  test('releases unknown to history are left alone', () => {
    const h = hist(rec('a'), rec('b'))
    expect(pruneList(h, 'b', new Set(['a', 'b', 'manual']), 1)).toEqual([])
  })
})

describe('history', () => {
  test('markBad records reason, actor and run, and an event', () => {
    const h = hist(rec('a'))
    markBad(h, 'a', { reason: 'gate failed', actor: 'octocat', run: '42', at: 'now' })
    expect(h.releases[0]).toMatchObject({ status: 'bad', bad: { reason: 'gate failed', actor: 'octocat', run: '42' } })
    expect(h.events).toEqual([expect.objectContaining({ kind: 'mark-bad', from: 'a', reason: 'gate failed' })])
  })
  test('events are capped', () => {
    const h = emptyHistory()
    for (let n = 0; n < MAX_EVENTS + 10; n++) addEvent(h, { at: String(n), kind: 'deploy' })
    expect(h.events.length).toBe(MAX_EVENTS)
    expect(h.events[0].at).toBe('10')
  })
  test('records of pruned releases are capped, live ones never dropped', () => {
    const h = hist(...Array.from({ length: MAX_PRUNED + 5 }, (_, n) => rec(`p${n}`, { prunedAt: 'x' })), rec('live'))
    trimPruned(h)
    expect(h.releases.length).toBe(MAX_PRUNED + 1)
    expect(h.releases[0].id).toBe('p5')
    expect(h.releases.at(-1)?.id).toBe('live')
  })
  test('parse refuses what is not a history', () => {
    expect(() => parseHistory('{')).toThrow(/not valid JSON/)
    expect(() => parseHistory('{"version":2}')).toThrow(/not a Gantry history/)
    expect(parseHistory(JSON.stringify(emptyHistory()))).toEqual(emptyHistory())
  })
})

describe('lock staleness', () => {
  const lock = (over: Partial<LockInfo>): LockInfo => ({
    token: 't',
    purpose: 'deploy',
    host: 'runner-1',
    pid: 1234,
    acquiredAt: '2026-01-01T00:00:00Z',
    expiresAt: '2026-01-01T00:10:00Z',
    ...over
  })
  const at = Date.parse('2026-01-01T00:05:00Z')
  test('live owner on this host: not stale', () =>
    expect(staleReason(lock({}), at, 'runner-1', () => true)).toBeUndefined())
  test('dead pid on this host: stale', () =>
    expect(staleReason(lock({}), at, 'runner-1', () => false)).toMatch(/pid 1234 on runner-1\) is gone/))
  test('another host, TTL not passed: not stale, whatever its pid', () =>
    expect(staleReason(lock({}), at, 'runner-2', () => false)).toBeUndefined())
  test('TTL passed: stale on any host', () =>
    expect(staleReason(lock({}), Date.parse('2026-01-01T00:11:00Z'), 'runner-2', () => true)).toMatch(/TTL passed/))
})

describe('activate command', () => {
  test.each([
    ['systemctl reload app', ['systemctl', 'reload', 'app']],
    [`sh -c 'echo "a b" > x'`, ['sh', '-c', 'echo "a b" > x']],
    ['echo "a \\"b\\""  c\\ d', ['echo', 'a "b"', 'c d']],
    ['  ./bin/migrate  --to=$VERSION ', ['./bin/migrate', '--to=$VERSION']]
  ])('%s', (text, argv) => expect(splitCommand(text)).toEqual(argv))
  test.each(['a | b', 'a && b', 'a; b', 'a > f', 'echo $(id)', 'echo `id`', '"open', "'open", ''])(
    'refuses %p',
    (text) => expect(() => splitCommand(text)).toThrow()
  )
})

describe('tar entries (tar slip)', () => {
  test.each([
    [{ path: 'index.html', type: 'File' }, undefined],
    [{ path: 'a/b/', type: 'Directory' }, undefined],
    [{ path: 'a/link', type: 'SymbolicLink', linkpath: '../index.html' }, undefined],
    [{ path: 'a/hard', type: 'Link', linkpath: 'index.html' }, undefined],
    [{ path: '/etc/passwd', type: 'File' }, /absolute/],
    [{ path: '../evil', type: 'File' }, /'\.\.'/],
    [{ path: 'a/../../evil', type: 'File' }, /'\.\.'/],
    [{ path: 'link', type: 'SymbolicLink', linkpath: '/etc' }, /outside/],
    [{ path: 'a/link', type: 'SymbolicLink', linkpath: '../../x' }, /outside/],
    [{ path: 'hard', type: 'Link', linkpath: '../x' }, /outside/],
    [{ path: 'dev', type: 'CharacterDevice' }, /only files/]
  ])('%j', (entry, want) => {
    const why = unsafeEntry(entry)
    if (want === undefined) expect(why).toBeUndefined()
    else expect(why).toMatch(want)
  })
})

describe('watch verdicts', () => {
  // The watch judges HealthSamples with the one health policy, in health-gate's words.
  const p = (ok: boolean, latencyMs = 10): HealthSample => ({ latencyMs, status: ok ? 200 : 503 })
  const cfg = { unhealthyThreshold: 3, maxLatencyRatio: 2 }
  test('consecutive failures', () => {
    expect(judge([p(false), p(false)], 2, cfg, false)).toBeUndefined()
    expect(judge([p(false), p(false), p(false)], 3, cfg, false)).toBe('3 consecutive failed probes (last: status 503)')
  })
  test('error rate waits for a window, then judges', () => {
    const w = [p(true), p(false), p(true), p(true)]
    expect(judge(w, 0, { ...cfg, maxErrorRate: 0.1 }, false)).toBeUndefined()
    expect(judge([...w, p(true)], 0, { ...cfg, maxErrorRate: 0.1 }, false)).toBe(
      'error rate 20% > max-error-rate 10% (1× status 503)'
    )
    expect(judge(w, 0, { ...cfg, maxErrorRate: 0.1 }, true)).toMatch(/^error rate 25% > max-error-rate 10%/)
  })
  test('p95 against max-p95 and against the baseline', () => {
    const w = [p(true, 10), p(true, 10), p(true, 10), p(true, 10), p(true, 90)]
    expect(judge(w, 0, { ...cfg, maxP95Ms: 50 }, false)).toBe('p95 90 ms > max-p95 50ms')
    expect(judge(w, 0, { ...cfg, baselineP95: 40 }, false)).toBe('p95 90 ms > 2 × baseline p95 40 ms (2.25×)')
    expect(judge(w, 0, { ...cfg, baselineP95: 50 }, false)).toBeUndefined()
  })
  test('a window where nothing answered is left to unhealthy-threshold, not "p95 unknown"', () => {
    const refused: HealthSample = { latencyMs: 1, error: 'refused' }
    const w = Array.from({ length: 6 }, () => refused)
    expect(judge(w, 6, { ...cfg, unhealthyThreshold: 10 }, true)).toBeUndefined()
    expect(judge(w, 6, { ...cfg, unhealthyThreshold: 10, maxErrorRate: 0.5 }, true)).toBe(
      'error rate 100% > max-error-rate 50% (6× refused)'
    )
  })
})

describe('several health URLs: each one named', () => {
  const stats = { probes: 5, failures: 0, errorRate: 0, p95: 2 }
  test('the summary has a row per URL, saying which breached; one URL keeps the one-row tables', () => {
    const breach = '3 consecutive failed probes (last: HTTP 500)'
    const md = rollbackSummary({
      rolledBack: true,
      from: 'r2',
      to: 'r1',
      reason: `http://a/ready: ${breach}`,
      watch: {
        ...stats,
        elapsedMs: 300,
        urls: [
          { url: 'http://a/healthz', ...stats },
          { url: 'http://a/ready', ...stats, failures: 3, breach }
        ]
      },
      health: {
        ok: false,
        detail: '',
        urls: [
          { url: 'http://a/healthz', ok: true, detail: 'HTTP 200 in 1 ms' },
          { url: 'http://a/ready', ok: false, detail: 'HTTP 503' }
        ]
      }
    })
    expect(md).toContain('| http://a/healthz | 300 ms | 5 | 0 | 0.0% | 2.0 ms | – | ✅ healthy |')
    expect(md).toContain(`| http://a/ready | 300 ms | 5 | 3 | 0.0% | 2.0 ms | – | ❌ ${breach} |`)
    expect(md).toContain('| http://a/ready | ❌ unhealthy | HTTP 503 |')
    const one = rollbackSummary({
      rolledBack: true,
      to: 'r1',
      reason: breach,
      watch: { ...stats, elapsedMs: 300, urls: [{ url: 'http://a/healthz', ...stats }] },
      health: { ok: true, detail: 'HTTP 200 in 1 ms', urls: [{ url: 'http://a/healthz', ok: true, detail: 'x' }] }
    })
    expect(one).toContain('| Watch | Probes | Failed | Error rate | p95 | p95 limit |\n| --- |')
    expect(one).toContain('| ✅ healthy | HTTP 200 in 1 ms |')
    expect(one).not.toContain('| URL |')
  })
  test('an unhealthy restored release names the URLs that failed', () => {
    const u = (url: string, ok: boolean, detail: string) => ({ url, ok, detail, attempts: 2 })
    expect(
      unhealthyAfterRollback('r1', { urls: [u('http://a/', true, 'HTTP 200'), u('http://b/', false, 'HTTP 503')] })
    ).toBe('rolled back to r1, but http://b/ is not healthy either: HTTP 503')
    expect(
      unhealthyAfterRollback('r1', { urls: [u('http://a/', false, 'HTTP 502'), u('http://b/', false, 'HTTP 503')] })
    ).toBe('rolled back to r1, but 2 of 2 URLs are not healthy either: http://a/: HTTP 502; http://b/: HTTP 503')
  })
})

describe('lock text', () => {
  const lock = JSON.stringify({ token: 't1', host: 'h', pid: 1, purpose: 'deploy', acquiredAt: '', expiresAt: '' })
  test('parseLock: an owner, or unreadable', () => {
    expect(parseLock(lock)).toMatchObject({ token: 't1', host: 'h' })
    expect(parseLock('{"token":"t1"}')).toBe('unreadable')
    expect(parseLock('not json')).toBe('unreadable')
    expect(parseLock('null')).toBe('unreadable')
  })
  test('lockMatches: by token, or byte for byte when raw is given', () => {
    expect(lockMatches(lock, { token: 't1' })).toBe(true)
    expect(lockMatches(lock, { token: 't2' })).toBe(false)
    expect(lockMatches(lock, { raw: lock })).toBe(true)
    expect(lockMatches(lock, { raw: `${lock} ` })).toBe(false)
    expect(lockMatches('garbage', {})).toBe(false)
    expect(lockToken('{"token":7}')).toBeUndefined()
  })
})
