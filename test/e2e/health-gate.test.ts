// health-gate as it ships: dist/health-gate/index.js run through the runner
// protocol against Node servers on 127.0.0.1.
import { afterEach, describe, expect, test } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { runAction } from '../harness/runner.mjs'
import { freePort, startServer, type TestServer } from '../helpers/http.js'

const servers: TestServer[] = []
async function serve(handler: Parameters<typeof startServer>[0]): Promise<TestServer> {
  const s = await startServer(handler)
  servers.push(s)
  return s
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

// Short timings keep the suite quick; bounds are generous since CI is shared.
const fast = { interval: '50ms', 'max-wait': '3s', timeout: '1s', samples: '20', concurrency: '4' }

function report(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>
}

describe('health-gate verdicts', () => {
  test('healthy after a delay: waits through 503s, then samples', async () => {
    const s = await serve((_req, res, hit) => {
      res.statusCode = hit <= 5 ? 503 : 200
      res.end(hit <= 5 ? 'starting' : 'ok')
    })
    const r = await runAction('health-gate', { inputs: { ...fast, url: `${s.url}/healthz`, 'expect-body': '^ok$' } })
    expect(r.code).toBe(0)
    expect(r.outputs.healthy).toBe('true')
    expect(Number(r.outputs['time-to-healthy'])).toBeGreaterThan(0)
    expect(r.outputs['error-rate']).toBe('0')
    expect(Number(r.outputs.p95)).toBeGreaterThan(0)
    expect(Number(r.outputs.p50)).toBeLessThanOrEqual(Number(r.outputs.p95))
    expect(Number(r.outputs.p95)).toBeLessThanOrEqual(Number(r.outputs.p99))
    // 5 failing polls + 3 passes + 20 samples
    expect(s.hits).toBe(28)
    const rep = report(r.outputs.report) as { schema: number; action: string; urls: Array<Record<string, unknown>> }
    expect(rep.schema).toBe(1)
    expect(rep.action).toBe('health-gate')
    expect(rep.urls[0]).toMatchObject({
      healthy: true,
      ok: true,
      attempts: 8,
      lastReason: 'status 503 (expected 200-399)'
    })
    expect(r.summary).toContain('✅ health-gate passed')
    expect(r.summary).toMatch(/\| http:\/\/127\.0\.0\.1:\d+\/healthz \| 8 \|/)
  })

  test('flapping never makes 3 consecutive passes: fails at max-wait with the reason', async () => {
    const s = await serve((_req, res, hit) => {
      res.statusCode = hit % 2 ? 200 : 500
      res.end()
    })
    const r = await runAction('health-gate', { inputs: { ...fast, url: s.url, 'max-wait': '600ms' } })
    expect(r.code).toBe(1)
    expect(r.outputs.healthy).toBe('false')
    expect(r.outputs['time-to-healthy']).toBe('')
    const errs = r.annotations.filter((a) => a.level === 'error')
    expect(errs[0]?.message).toMatch(
      /not healthy after \d+ attempts \(max-wait 600ms\): status 500 \(expected 200-399\)/
    )
    expect(errs.at(-1)?.message).toBe('health-gate failed: 1 of 1 URL(s) did not pass')
    expect(r.summary).toContain('❌ health-gate failed')
  })

  test('10% of 500s: fails max-error-rate 0%, passes 15%', async () => {
    const handler = (_req: unknown, res: import('node:http').ServerResponse, hit: number) => {
      res.statusCode = hit % 10 === 0 ? 500 : 200
      res.end()
    }
    const a = await serve(handler)
    const strict = await runAction('health-gate', { inputs: { ...fast, url: a.url } })
    expect(strict.code).toBe(1)
    expect(strict.outputs['error-rate']).toBe('0.1')
    expect(strict.annotations[0]?.message).toContain('error rate 10% > max-error-rate 0% (2× status 500)')
    const b = await serve(handler)
    const lenient = await runAction('health-gate', { inputs: { ...fast, url: b.url, 'max-error-rate': '15%' } })
    expect(lenient.code).toBe(0)
    expect(lenient.outputs.healthy).toBe('true')
  })

  test('slow responses fail max-p95', async () => {
    const s = await serve((_req, res) => {
      setTimeout(() => res.end('ok'), 150)
    })
    const r = await runAction('health-gate', {
      inputs: { ...fast, url: s.url, samples: '8', 'max-p95': '100ms', 'healthy-threshold': '1' }
    })
    expect(r.code).toBe(1)
    expect(Number(r.outputs.p95)).toBeGreaterThanOrEqual(150)
    expect(r.annotations[0]?.message).toMatch(/p95 \d+(\.\d+)? ms > max-p95 100ms/)
  })

  test('resetting connections: reason is connection reset', async () => {
    const s = await serve((req) => req.socket.destroy())
    const r = await runAction('health-gate', { inputs: { ...fast, url: s.url, 'max-wait': '400ms' } })
    expect(r.code).toBe(1)
    expect(r.annotations[0]?.message).toMatch(/: connection reset$/)
  })

  test('never answering: each request is bounded by timeout', async () => {
    const s = await serve(() => undefined)
    const r = await runAction('health-gate', {
      inputs: { ...fast, url: s.url, timeout: '150ms', 'max-wait': '1s' }
    })
    expect(r.code).toBe(1)
    expect(r.annotations[0]?.message).toMatch(/: timed out after 150 ms$/)
    const rep = report(r.outputs.report) as { urls: Array<{ attempts: number }> }
    expect(rep.urls[0]?.attempts).toBeGreaterThanOrEqual(2)
  })

  test('connection refused and DNS failure are named', async () => {
    const port = await freePort()
    const r = await runAction('health-gate', {
      inputs: { ...fast, url: `http://127.0.0.1:${port}/\nhttp://gantry-no-such-host.invalid/`, 'max-wait': '300ms' }
    })
    expect(r.code).toBe(1)
    const msgs = r.annotations.map((a) => a.message).join('\n')
    expect(msgs).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}/: not healthy .*: connection refused`))
    expect(msgs).toMatch(/gantry-no-such-host\.invalid\/: not healthy .*: DNS lookup failed/)
  })

  test('several URLs at once: one row each, the gate fails if one fails', async () => {
    const good = await serve((_req, res) => res.end('ok'))
    const bad = await serve((_req, res) => {
      res.statusCode = 502
      res.end()
    })
    const r = await runAction('health-gate', {
      inputs: { ...fast, url: `${good.url}/a\n${bad.url}/b`, 'max-wait': '400ms' }
    })
    expect(r.code).toBe(1)
    expect(r.outputs.healthy).toBe('false')
    expect(good.hits).toBe(23)
    const rep = report(r.outputs.report) as { urls: Array<{ url: string; ok: boolean }> }
    expect(rep.urls.map((u) => [u.url, u.ok])).toEqual([
      [`${good.url}/a`, true],
      [`${bad.url}/b`, false]
    ])
    expect(r.summary).toContain(`| ${good.url}/a |`)
    expect(r.summary).toMatch(/\/b \| \d+ \| – .*❌ fail \| not healthy/)
  })

  test('fail-on-unhealthy: false reports without failing', async () => {
    const s = await serve((_req, res) => {
      res.statusCode = 500
      res.end()
    })
    const r = await runAction('health-gate', {
      inputs: { ...fast, url: s.url, 'max-wait': '300ms', 'fail-on-unhealthy': 'false' }
    })
    expect(r.code).toBe(0)
    expect(r.outputs.healthy).toBe('false')
    expect(r.annotations.map((a) => a.level)).toEqual(['warning'])
  })

  test('baseline: p95 over max-latency-ratio × the baseline p95 fails', async () => {
    const quick = await serve((_req, res) => res.end('ok'))
    const first = await runAction('health-gate', { inputs: { ...fast, url: `${quick.url}/` } })
    expect(first.code).toBe(0)
    const baselineP95 = Number(first.outputs.p95)
    // The same URL, now answering well over twice as slowly as the baseline p95.
    const delay = Math.ceil(baselineP95 * 3 + 60)
    const slowUrl = `${quick.url}/`
    quick.server.removeAllListeners('request')
    quick.server.on('request', (_req, res) => setTimeout(() => res.end('ok'), delay))
    const second = await runAction('health-gate', {
      inputs: { ...fast, url: slowUrl, samples: '6', baseline: first.outputs.report, 'healthy-threshold': '1' }
    })
    expect(second.code).toBe(1)
    expect(second.annotations[0]?.message).toMatch(/p95 [\d.]+ ms > 2 × baseline p95 [\d.]+ ms/)
    const ok = await runAction('health-gate', {
      inputs: {
        ...fast,
        url: slowUrl,
        samples: '6',
        baseline: first.outputs.report,
        'max-latency-ratio': '1000000',
        'healthy-threshold': '1'
      }
    })
    expect(ok.code).toBe(0)
  })

  test('method, headers and body regex are applied; credentials are masked', async () => {
    const seen: Array<{ method?: string; auth?: string }> = []
    const s = await serve((req, res) => {
      seen.push({ method: req.method, auth: req.headers.authorization })
      res.end('{"status":"green"}')
    })
    const r = await runAction('health-gate', {
      inputs: {
        ...fast,
        url: s.url,
        method: 'post',
        headers: 'Authorization: Bearer s3cr3t-t0ken\nX-Probe: gantry',
        'expect-body': '"status":"green"',
        samples: '2'
      }
    })
    expect(r.code).toBe(0)
    expect(seen.every((x) => x.method === 'POST' && x.auth === 'Bearer s3cr3t-t0ken')).toBe(true)
    expect(r.stdout).toContain('::add-mask::Bearer s3cr3t-t0ken')
    expect(r.summary + readFileSync(r.outputs.report, 'utf8')).not.toContain('s3cr3t')
  })

  test('a body that does not match expect-body is unhealthy', async () => {
    const s = await serve((_req, res) => res.end('{"status":"red"}'))
    const r = await runAction('health-gate', {
      inputs: { ...fast, url: s.url, 'expect-body': 'green', 'max-wait': '300ms' }
    })
    expect(r.code).toBe(1)
    expect(r.annotations[0]?.message).toMatch(/body did not match \/green\/$/)
  })
})

describe('health-gate bad input: one line naming the input, before any request', () => {
  test.each([
    ['interval', 'banana', "Input 'interval' has invalid value 'banana': expected a duration"],
    ['url', 'not-a-url', "Input 'url' has invalid value 'not-a-url': expected an http(s) URL"],
    ['expect-status', '7xx', "Input 'expect-status' has invalid value '7xx': expected HTTP status codes"],
    ['samples', '-1', "Input 'samples' has invalid value '-1': expected a whole number from 0 to"],
    ['concurrency', '0', "Input 'concurrency' has invalid value '0': expected a whole number from 1 to"],
    ['max-error-rate', '2', "Input 'max-error-rate' has invalid value '2': expected a rate"],
    ['timeout', '0', "Input 'timeout' has invalid value '0': expected a duration"],
    ['healthy-threshold', 'three', "Input 'healthy-threshold' has invalid value 'three': expected a whole number"],
    ['method', 'GE T', "Input 'method' has invalid value 'GE T': expected an HTTP method"],
    ['headers', 'no colon here', "Input 'headers' has invalid value 'no colon here': expected 'Name: value' lines"],
    ['expect-body', '([a-', "Input 'expect-body' has invalid value '([a-': expected a valid regular expression"],
    ['max-latency-ratio', '0', "Input 'max-latency-ratio' has invalid value '0': expected a number greater than 0"],
    ['fail-on-unhealthy', 'yes', "Input 'fail-on-unhealthy' has invalid value 'yes': expected true or false"],
    [
      'baseline',
      '/nonexistent/report.json',
      "Input 'baseline' has invalid value '/nonexistent/report.json': expected the JSON report of an earlier health-gate run (file not found)"
    ]
  ])('%s = %p', async (input, value, message) => {
    const s = await serve((_req, res) => res.end('ok'))
    const inputs: Record<string, string> = { ...fast, url: s.url, [input]: value }
    const r = await runAction('health-gate', { inputs })
    expect(r.code).toBe(1)
    const errors = r.annotations.filter((a) => a.level === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0]?.message.startsWith(message)).toBe(true)
    expect(errors[0]?.message).not.toContain('\n')
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /)
    expect(s.hits).toBe(0)
    expect(r.outputs).toEqual({})
  })

  test('url is required', async () => {
    const r = await runAction('health-gate', { inputs: {} })
    expect(r.code).toBe(1)
    expect(r.annotations.map((a) => a.message)).toEqual([
      "Input 'url' is required: expected one or more http(s) URLs, one per line"
    ])
  })
})
