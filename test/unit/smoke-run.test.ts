// The smoke engine on its own: scheduling, retries, masking, URL resolution and the reports' text.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { clearSecrets, redact } from '@gantry/core'
import { smoke } from '@gantry/probe'
import { startServer, type TestServer } from '../helpers/http.js'

let server: TestServer
const order: string[] = []
const flaky = new Map<string, number>()

beforeAll(async () => {
  server = await startServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    order.push(path)
    if (path === '/login') {
      res.setHeader('content-type', 'application/json')
      return res.end(JSON.stringify({ token: 'secret-token-value-123', id: 5 }))
    }
    if (path.startsWith('/flaky/')) {
      const n = (flaky.get(path) ?? 0) + 1
      flaky.set(path, n)
      res.statusCode = n >= 3 ? 200 : 503
      return res.end(`attempt ${n}`)
    }
    if (path === '/fail') {
      res.statusCode = 500
      return res.end('boom')
    }
    res.end('ok')
  })
})
afterAll(async () => {
  await server.close()
  clearSecrets()
})

const load = (text: string) => smoke.loadSpec(text, { file: 's.yml', baseUrl: server.url, env: {} })
const run = (spec: smoke.Spec, o: Partial<smoke.SmokeRunOptions> = {}) =>
  smoke.runSpec(spec, {
    baseUrl: server.url,
    concurrency: 4,
    retries: 0,
    timeoutMs: 5000,
    retryDelayMs: { base: 50, max: 200 },
    ...o
  })

describe('runSpec', () => {
  test('a check waiting to retry does not hold a slot: others run during its backoff', async () => {
    order.length = 0
    const spec = load(
      'checks:\n  - { name: a, request: { url: /flaky/order }, retries: 2 }\n  - { name: b, request: { url: /fast } }\n'
    )
    // b goes as soon as a releases its slot; a waits at least 500 ms before its next attempt.
    const r = await run(spec, { concurrency: 1, retryDelayMs: { base: 1000, max: 1000 } })
    expect(r.checks.map((c) => [c.name, c.result, c.attempts])).toEqual([
      ['a', 'passed', 3],
      ['b', 'passed', 1]
    ])
    expect(order).toEqual(['/flaky/order', '/fast', '/flaky/order', '/flaky/order'])
  })

  test('retries are bounded: the last attempt is reported', async () => {
    const r = await run(load('checks:\n  - { name: a, request: { url: /flaky/bounded }, retries: 1 }\n'))
    expect(r.checks[0]).toMatchObject({ result: 'failed', attempts: 2, status: 503, bodyExcerpt: 'attempt 2' })
    expect(r.checks[0]?.failures[0]).toMatchObject({ assertion: 'status', expected: '2xx', actual: '503' })
  })

  test('captured credentials are masked in everything written', async () => {
    const spec = load(
      [
        'checks:',
        '  - { name: login, request: { url: /login }, capture: { token: $.token, id: $.id } }',
        "  - { name: use, needs: login, request: { url: '/u/${id}', headers: { Authorization: 'Bearer ${token}' } } }"
      ].join('\n')
    )
    const r = await run(spec)
    expect(r.passed).toBe(2)
    expect(r.checks[0]?.captured).toEqual(['token', 'id'])
    expect(order).toContain('/u/5')
    expect(redact('token secret-token-value-123 here')).toBe('token *** here')
    expect(redact('id 5')).toBe('id 5')
  })

  test('fail-fast starts no new check after a failure', async () => {
    order.length = 0
    const spec = load(
      'checks:\n  - { name: bad, request: { url: /fail } }\n  - { name: b, request: { url: /b } }\n  - { name: c, request: { url: /c } }\n'
    )
    const r = await run(spec, { concurrency: 1, failFast: true })
    expect(r.checks.map((c) => c.result)).toEqual(['failed', 'skipped', 'skipped'])
    expect(order).toEqual(['/fail'])
    // Without fail-fast, every independent check runs.
    const all = await run(spec, { concurrency: 1 })
    expect(all.checks.map((c) => c.result)).toEqual(['failed', 'passed', 'passed'])
  })

  test('fail-fast also ends retries; the report counts the attempts made', async () => {
    const spec = load(
      'checks:\n  - { name: bad, request: { url: /fail } }\n  - { name: slow, request: { url: /flaky/ff }, retries: 5 }\n'
    )
    const r = await run(spec, { concurrency: 2, failFast: true, retryDelayMs: { base: 300, max: 300 } })
    const slow = r.checks[1]
    expect(slow?.result).toBe('failed')
    expect(slow?.attempts).toBeLessThan(6)
    expect(slow?.attempts).toBe(flaky.get('/flaky/ff'))
  })

  test('onResult reports each check as it finishes', async () => {
    const seen: string[] = []
    await run(
      load('checks:\n  - { name: a, request: { url: /a } }\n  - { name: b, request: { url: /b }, needs: a }\n'),
      {
        onResult: (c) => seen.push(`${c.name}:${c.result}`)
      }
    )
    expect(seen).toEqual(['a:passed', 'b:passed'])
  })
})

describe('resolveUrl', () => {
  test.each([
    ['/login', 'http://h:1', 'http://h:1/login'],
    ['/login', 'http://h:1/', 'http://h:1/login'],
    ['/login', 'http://h:1/api', 'http://h:1/api/login'],
    ['login', 'http://h:1/api/', 'http://h:1/api/login'],
    ['https://other.example/x', 'http://h:1/api', 'https://other.example/x'],
    ['http://h:2/y?q=1', undefined, 'http://h:2/y?q=1']
  ])('%s on %s', (url, base, want) => {
    expect(smoke.resolveUrl(url, base).href).toBe(want)
  })
})

describe('reports', () => {
  const result: smoke.SmokeResult = {
    total: 3,
    passed: 1,
    failed: 1,
    skipped: 1,
    durationMs: 1234,
    checks: [
      {
        name: 'ok',
        line: 2,
        result: 'passed',
        method: 'GET',
        status: 200,
        latencyMs: 12.5,
        attempts: 2,
        failures: [],
        captured: []
      },
      {
        name: 'bad <"&">',
        line: 5,
        result: 'failed',
        method: 'POST',
        url: 'http://h/x',
        status: 500,
        latencyMs: 3,
        attempts: 1,
        failures: [
          { assertion: 'status', expected: '2xx', actual: '500', line: 7 },
          { assertion: 'body-contains', expected: 'contains "a|b"', actual: 'boom\u0001', line: 8 }
        ],
        bodyExcerpt: 'boom\u0001',
        captured: []
      },
      {
        name: 'later',
        line: 9,
        result: 'skipped',
        method: 'GET',
        attempts: 0,
        failures: [],
        skipReason: 'needs \'bad <"&">\', which failed',
        captured: []
      }
    ]
  }

  test('the summary table: result, status, latency and the first failure or the reason', () => {
    const md = smoke.summaryMarkdown('s.yml', result)
    expect(md).toContain('### ❌ Smoke test: 1 of 3 checks failed')
    expect(md).toContain('`s.yml` · 1 passed · 1 failed · 1 skipped · 1234 ms')
    expect(md).toContain('| ok | ✅ passed | 200 | 12.5 ms | passed after 2 attempts |')
    expect(md).toContain('| bad <"&"> | ❌ failed | 500 | 3.0 ms | status: expected 2xx, got 500 (+1 more) |')
    expect(md).toContain(`| later | ⏭️ skipped | – | – | needs 'bad <"&">', which failed |`)
  })

  test('JUnit XML: escaped, without characters XML cannot carry, failure and skipped elements', () => {
    const xml = smoke.junitXml('s.yml', result, new Date('2026-01-02T03:04:05.678Z'))
    expect(xml).toContain('<testsuites name="smoke-test" tests="3" failures="1" errors="0" skipped="1" time="1.234">')
    expect(xml).toContain(
      '<testsuite name="s.yml" tests="3" failures="1" errors="0" skipped="1" time="1.234" timestamp="2026-01-02T03:04:05">'
    )
    expect(xml).toContain('<testcase name="ok" classname="s.yml" file="s.yml" line="2" time="0.013"/>')
    expect(xml).toContain(
      '<testcase name="bad &lt;&quot;&amp;&quot;&gt;" classname="s.yml" file="s.yml" line="5" time="0.003">\n      <failure message="status: expected 2xx, got 500" type="status">POST http://h/x\ns.yml:7: status: expected 2xx, got 500\ns.yml:8: body-contains: expected contains &quot;a|b&quot;, got boom\nattempts: 1\nresponse body (start):\nboom</failure>'
    )
    expect(xml).toContain(`<skipped message="needs 'bad &lt;&quot;&amp;&quot;&gt;', which failed"/>`)
    expect(xml).not.toContain('\u0001')
  })
})
