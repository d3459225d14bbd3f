// The probe source against two real HTTP servers on 127.0.0.1: equal request
// counts to both variants, pairs paced over the window (not sent in one burst),
// the request mix cycled, 5xx and transport failures counted as errors, and the
// guard's view of the canary's recent responses.
import { afterEach, describe, expect, test } from '@jest/globals'
import { probeSource } from '@gantry/canary'
import { ProbeClient } from '@gantry/probe'
import { startServer, type TestServer } from '../helpers/http.js'

let servers: TestServer[] = []
afterEach(async () => {
  for (const s of servers) await s.close()
  servers = []
})

async function serve(status: (path: string, hit: number) => number) {
  const seen: Array<{ path: string; at: number }> = []
  const s = await startServer((req, res, hit) => {
    seen.push({ path: req.url ?? '', at: performance.now() })
    res.writeHead(status(req.url ?? '', hit)).end('x')
  })
  servers.push(s)
  return { url: new URL(s.url), seen }
}

describe('probe source', () => {
  test('the same requests to both variants, paced over the window, with the mix cycled', async () => {
    const baseline = await serve(() => 200)
    const canary = await serve((path) => (path === '/b' ? 503 : 200))
    const source = probeSource({
      baselineUrl: baseline.url,
      canaryUrl: canary.url,
      requests: 12,
      paths: ['/a', '/b', '/c?x=1'],
      timeoutMs: 2000,
      client: new ProbeClient({ connections: 4 })
    })
    const started = performance.now()
    const w = source.begin(600, new AbortController().signal)
    const data = await w.end()
    await source.close()
    expect(baseline.seen.map((s) => s.path)).toEqual(canary.seen.map((s) => s.path))
    expect(canary.seen.map((s) => s.path).slice(0, 4)).toEqual(['/a', '/b', '/c?x=1', '/a'])
    // Paced: the last pair leaves 11/12 of the window after the first (a burst would be ~0 ms apart).
    const spread = canary.seen.at(-1)!.at - canary.seen[0].at
    expect(spread).toBeGreaterThanOrEqual(500)
    expect(performance.now() - started).toBeGreaterThanOrEqual(550)
    expect(data.latency.baseline).toMatchObject({ kind: 'values' })
    expect((data.latency.canary as { values: number[] }).values).toHaveLength(12)
    expect(data['error-rate']).toEqual({
      baseline: { kind: 'count', events: 0, total: 12 },
      canary: { kind: 'count', events: 4, total: 12 }
    })
  })

  test('recent() gives the canary responses since the last call, and a refused connection is an error', async () => {
    const baseline = await serve(() => 200)
    const gone = await serve(() => 200)
    await servers.pop()!.close()
    const source = probeSource({
      baselineUrl: baseline.url,
      canaryUrl: gone.url,
      requests: 3,
      timeoutMs: 2000,
      client: new ProbeClient()
    })
    const w = source.begin(30, new AbortController().signal)
    const data = await w.end()
    const recent = w.recent()
    expect(recent).toHaveLength(3)
    expect(recent.every((r) => r.status === undefined && typeof r.error === 'string')).toBe(true)
    expect(w.recent()).toEqual([])
    expect(data['error-rate'].canary).toEqual({ kind: 'count', events: 3, total: 3 })
    // No response, no latency point: a refused request is an error, not a fast answer.
    expect(data.latency.canary).toEqual({ kind: 'values', values: [] })
    await source.close()
  })
})
