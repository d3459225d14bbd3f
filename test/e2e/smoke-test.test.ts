// smoke-test end to end: the committed dist bundle, run as the runner runs it,
// against a local Node app (login → token → authenticated calls, JSON APIs,
// slow, flaky and failing endpoints) on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readBody, startServer, type TestServer } from '../helpers/http.js'
import { repoRoot, runAction, type RunResult } from '../harness/runner.mjs'

// ---- the app -------------------------------------------------------------

interface AppState {
  /** Requests per path (without query). */
  hits: Map<string, number>
  tokens: Map<string, string>
  inFlight: number
  maxInFlight: number
  /** Requests held at /barrier until this many are in flight (or a bound passes). */
  barrier: number
  waiting: Array<() => void>
}

const state: AppState = { hits: new Map(), tokens: new Map(), inFlight: 0, maxInFlight: 0, barrier: 1, waiting: [] }
let app: TestServer
let ws: string

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const json = typeof body !== 'string'
  res.writeHead(status, { 'content-type': json ? 'application/json; charset=utf-8' : 'text/plain', ...headers })
  res.end(json ? JSON.stringify(body) : body)
}

function user(req: IncomingMessage): string | undefined {
  const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')
  return m ? state.tokens.get(m[1] as string) : undefined
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x')
  const path = url.pathname
  const hit = (state.hits.get(path) ?? 0) + 1
  state.hits.set(path, hit)
  if (path === '/healthz') return send(res, 200, 'ok')
  if (path === '/api/login' && req.method === 'POST') {
    const body = JSON.parse(await readBody(req)) as { user?: string; password?: string }
    if (body.password !== 'pw') return send(res, 403, { error: 'bad credentials' })
    const token = `tok_${randomBytes(12).toString('hex')}`
    state.tokens.set(token, body.user ?? '')
    return send(res, 200, { token }, { 'set-cookie': `sid=${token}; HttpOnly` })
  }
  if (path === '/api/me') {
    const name = user(req)
    if (!name) return send(res, 401, 'Unauthorized')
    return send(res, 200, { id: 7, name, roles: ['reader', 'writer'], age: 30 })
  }
  const orders = /^\/api\/users\/(\d+)\/orders$/.exec(path)
  if (orders) {
    if (!user(req)) return send(res, 401, 'Unauthorized')
    if (orders[1] !== '7') return send(res, 404, { error: 'no such user' })
    return send(res, 200, { orders: [{ total: 5 }, { total: 12 }], count: 2, limit: url.searchParams.get('limit') })
  }
  if (path === '/api/item') {
    return send(
      res,
      200,
      { a: { b: 'deep' }, 'odd key': 1, list: [3, 4, 5], tags: ['x', 'y'], version: '1.2.3' },
      {
        'x-version': '1.2.3',
        etag: '"abc123"'
      }
    )
  }
  if (path === '/api/broken') return send(res, 500, { error: 'internal' })
  if (path === '/api/not-json') return send(res, 200, '<html>oops</html>')
  if (path.startsWith('/flaky/')) {
    // Fails until the third request: an endpoint that becomes consistent.
    return hit >= 3 ? send(res, 200, { ok: true, attempt: hit }) : send(res, 503, { ok: false, attempt: hit })
  }
  if (path === '/slow') {
    const ms = Number(url.searchParams.get('ms'))
    const t = setTimeout(() => send(res, 200, { slept: ms }), ms)
    res.on('close', () => clearTimeout(t))
    return
  }
  if (path === '/echo') {
    return send(res, 200, {
      method: req.method,
      query: Object.fromEntries(url.searchParams),
      auth: req.headers.authorization ?? null,
      type: req.headers['content-type'] ?? null,
      forwarded: req.headers['x-forwarded-cookie'] ?? null,
      body: await readBody(req)
    })
  }
  if (path.startsWith('/barrier/')) {
    state.inFlight++
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight)
    // Hold until `barrier` requests are in flight together, so a limit that is
    // not honoured shows up as more; the bound keeps a stuck run finite.
    await new Promise<void>((resolve) => {
      state.waiting.push(resolve)
      if (state.waiting.length >= state.barrier) for (const w of state.waiting.splice(0)) w()
      else setTimeout(resolve, 5000)
    })
    state.inFlight--
    return send(res, 200, { ok: true })
  }
  send(res, 404, { error: 'not found' })
}

beforeAll(async () => {
  app = await startServer(handle)
  ws = mkdtempSync(join(tmpdir(), 'gantry-smoke-e2e-'))
})
afterAll(async () => {
  await app.close()
  rmSync(ws, { recursive: true, force: true })
})

function reset(): void {
  state.hits.clear()
  state.inFlight = 0
  state.maxInFlight = 0
  state.barrier = 1
}

// ---- helpers ---------------------------------------------------------------

interface CheckReport {
  name: string
  line: number
  result: 'passed' | 'failed' | 'skipped'
  status?: number
  attempts: number
  failures: Array<{ assertion: string; expected: string; actual: string; line: number }>
  skipReason?: string
}
interface Report {
  schema: number
  action: string
  ok: boolean
  total: number
  passed: number
  failed: number
  skipped: number
  checks: CheckReport[]
}

let specs = 0
async function smoke(
  spec: string,
  inputs: Record<string, string | number | boolean> = {},
  env: Record<string, string> = {}
): Promise<{ r: RunResult; report: Report; file: string; byName: Map<string, CheckReport> }> {
  const file = `specs/spec-${++specs}.yml`
  mkdirSync(join(ws, 'specs'), { recursive: true })
  writeFileSync(join(ws, file), spec)
  const r = await runAction('smoke-test', {
    inputs: { spec: file, 'base-url': app.url, ...inputs },
    env,
    workspace: ws,
    post: false
  })
  const report = r.outputs.report ? (JSON.parse(readFileSync(r.outputs.report, 'utf8')) as Report) : ({} as Report)
  return { r, report, file, byName: new Map((report.checks ?? []).map((c) => [c.name, c])) }
}

/** Line (1-based) of the first line of text containing needle. */
function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle))
  if (i < 0) throw new Error(`no line contains ${needle}`)
  return i + 1
}

// ---- tests -------------------------------------------------------------------

describe('smoke-test: a passing suite (the shipped example spec)', () => {
  test('login → token → authenticated calls pass; outputs, summary, report and JUnit agree', async () => {
    reset()
    const spec = readFileSync(join(repoRoot, 'examples', 'smoke', 'smoke.yml'), 'utf8')
    const { r, report } = await smoke(spec, { junit: 'reports/smoke.xml' }, { SMOKE_PASSWORD: 'pw' })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.outputs).toMatchObject({ total: '5', passed: '5', failed: '0', skipped: '0', junit: 'reports/smoke.xml' })
    expect(report).toMatchObject({ schema: 1, action: 'smoke-test', ok: true, total: 5, passed: 5 })
    expect(report.checks.map((c) => c.result)).toEqual(['passed', 'passed', 'passed', 'passed', 'passed'])
    expect(r.annotations.filter((a) => a.level === 'error')).toEqual([])
    // The summary is a table a reviewer can read.
    expect(r.summary).toContain('### ✅ Smoke test: 5 of 5 checks passed')
    expect(r.summary).toContain('| Check | Result | Status | Latency | Details |')
    expect(r.summary).toMatch(/\| profile \| ✅ passed \| 200 \| [\d.]+ ms \|/)
    const xml = readFileSync(join(ws, 'reports', 'smoke.xml'), 'utf8')
    expect(xml).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="smoke-test" tests="5" failures="0" errors="0" skipped="0"/
    )
    expect(xml.match(/<testcase /g)).toHaveLength(5)
    expect(xml).toContain(
      '<testcase name="orders of the user" classname="specs/spec-1.yml" file="specs/spec-1.yml" line="'
    )
    // The captured token was sent, and never printed.
    const tokens = [...state.tokens.keys()]
    expect(tokens).toHaveLength(1)
    const printed = r.stdout.replace(/^::add-mask::.*$/gm, '')
    expect(printed + r.summary + readFileSync(r.outputs.report as string, 'utf8') + xml).not.toContain(tokens[0])
  })
})

describe('smoke-test: every assertion kind passes and fails', () => {
  const spec = `checks:
  - name: status pass
    request: { url: /api/item }
    expect: { status: 200-299 }
  - name: status fail
    request: { url: /api/broken }
    expect: { status: [200, 204] }
  - name: header exact pass
    request: { url: /api/item }
    expect: { headers: { X-Version: 1.2.3, etag: '"abc123"' } }
  - name: header exact fail
    request: { url: /api/item }
    expect: { headers: { x-version: 2.0.0 } }
  - name: header regex pass
    request: { url: /api/item }
    expect: { headers: { content-type: /^APPLICATION\\/JSON/i } }
  - name: header regex fail
    request: { url: /api/item }
    expect: { headers: { content-type: /xml/ } }
  - name: header missing fail
    request: { url: /api/item }
    expect: { headers: { x-missing: /./ } }
  - name: body-contains pass
    request: { url: /api/item }
    expect: { body-contains: ['"deep"', odd key] }
  - name: body-contains fail
    request: { url: /api/item }
    expect: { body-contains: [deep, shallow] }
  - name: body-matches pass
    request: { url: /api/item }
    expect: { body-matches: '"version":"\\d+\\.\\d+\\.\\d+"' }
  - name: body-matches fail
    request: { url: /api/item }
    expect: { body-matches: '/^\\[/' }
  - name: json equals pass
    request: { url: /api/item }
    expect:
      json:
        $.a.b: deep
        $['odd key']: 1
        $.list[0]: 3
        $.list[*]: [3, 4, 5]
        $.a: { b: deep }
  - name: json equals fail
    request: { url: /api/item }
    expect: { json: { '$.list[1]': 40 } }
  - name: json equals missing fail
    request: { url: /api/item }
    expect: { json: { $.nope: 1 } }
  - name: exists pass
    request: { url: /api/item }
    expect: { json: { $.a.b: { exists: true }, $.gone: { exists: false } } }
  - name: exists fail
    request: { url: /api/item }
    expect: { json: { '$.tags[5]': { exists: true } } }
  - name: matches pass
    request: { url: /api/item }
    expect: { json: { $.version: { matches: '^1\\.' }, '$.tags[*]': { matches: '/^[a-z]$/' } } }
  - name: matches fail
    request: { url: /api/item }
    expect: { json: { $.version: { matches: '^2\\.' } } }
  - name: gt pass
    request: { url: /api/item }
    expect: { json: { '$.list[*]': { gt: 2 } } }
  - name: gt fail
    request: { url: /api/item }
    expect: { json: { '$.list[*]': { gt: 3 } } }
  - name: lt pass
    request: { url: /api/item }
    expect: { json: { '$.list[2]': { lt: 6 } } }
  - name: lt fail
    request: { url: /api/item }
    expect: { json: { $.version: { lt: 6 } } }
  - name: length pass
    request: { url: /api/item }
    expect: { json: { $.list: { length: 3 }, $.version: { length: 5 }, '$.tags[*]': { length: 2 } } }
  - name: length fail
    request: { url: /api/item }
    expect: { json: { $.tags: { length: 3 } } }
  - name: json on a non-JSON body fails
    request: { url: /api/not-json }
    expect: { json: { $.a: 1 } }
  - name: max-latency pass
    request: { url: /healthz }
    expect: { max-latency: 30s }
  - name: max-latency fail
    request: { url: /slow, query: { ms: 400 } }
    expect: { max-latency: 100ms }
  - name: timeout fail
    request: { url: /slow, query: { ms: 5000 } }
    timeout: 300ms
`
  let res: Awaited<ReturnType<typeof smoke>>
  beforeAll(async () => {
    reset()
    res = await smoke(spec, { junit: 'reports/kinds.xml', concurrency: 4 })
  }, 60_000)

  const failing: Array<[string, string, string, string]> = [
    ['status fail', 'status', '200,204', '500'],
    ['header exact fail', 'header x-version', '"2.0.0"', '"1.2.3"'],
    ['header regex fail', 'header content-type', 'matches /xml/', '"application/json; charset=utf-8"'],
    ['header missing fail', 'header x-missing', 'matches /./', 'nothing'],
    [
      'body-contains fail',
      'body-contains',
      'contains "shallow"',
      expect.stringContaining('{"a":{"b":"deep"}') as unknown as string
    ],
    ['body-matches fail', 'body-matches', 'matches /^\\[/', expect.stringContaining('{"a"') as unknown as string],
    ['json equals fail', 'json $.list[1]', '40', '4'],
    ['json equals missing fail', 'json $.nope', '1', 'nothing'],
    ['exists fail', 'json $.tags[5] exists', 'exists', 'nothing'],
    ['matches fail', 'json $.version matches', 'matches /^2\\./', '"1.2.3"'],
    ['gt fail', 'json $.list[*] gt', '> 3', '[3,4,5]'],
    ['lt fail', 'json $.version lt', '< 6', '"1.2.3"'],
    ['length fail', 'json $.tags length', 'length 3', 'length 2'],
    [
      'json on a non-JSON body fails',
      'json',
      'a JSON body',
      expect.stringMatching(/^body is not JSON/) as unknown as string
    ],
    ['max-latency fail', 'max-latency', '≤ 100 ms', expect.stringMatching(/^\d+ ms$/) as unknown as string],
    ['timeout fail', 'request', 'a response', 'timed out after 300 ms']
  ]

  test('passing checks pass', () => {
    const passed = res.report.checks.filter((c) => c.result === 'passed').map((c) => c.name)
    expect(passed).toEqual(res.report.checks.filter((c) => c.name.endsWith(' pass')).map((c) => c.name))
    expect(passed).toHaveLength(12)
  })

  test.each(failing)('%s: fails with expected vs actual', (name, assertion, expected, actual) => {
    const c = res.byName.get(name)
    expect(c?.result).toBe('failed')
    expect(c?.failures[0]).toEqual({ assertion, expected, actual, line: expect.any(Number) })
  })

  test('the action fails with one line, outputs count, and each failed check is annotated at its line', () => {
    const { r, file } = res
    expect(r.code).toBe(1)
    expect(r.outputs).toMatchObject({ total: '28', passed: '12', failed: '16', skipped: '0' })
    const errors = r.annotations.filter((a) => a.level === 'error')
    const last = errors.pop()
    expect(last?.message).toBe(
      '16 of 28 smoke checks failed: status fail, header exact fail, header regex fail, header missing fail, body-contains fail, … (11 more)'
    )
    expect(errors).toHaveLength(16)
    for (const [name] of failing) {
      const a = errors.find((e) => e.title === `smoke-test: ${name}`)
      expect({ name, file: a?.file, line: a?.line }).toEqual({ name, file, line: lineOf(spec, `- name: ${name}`) })
    }
    expect(errors.find((e) => e.title === 'smoke-test: status fail')?.message).toBe(
      "check 'status fail' failed: status: expected 200,204, got 500"
    )
  })

  test('a check with several failures lists them all in its annotation and in the summary details', async () => {
    reset()
    const text = `checks:
  - name: two wrongs
    request: { url: /api/item }
    expect:
      status: 201
      json:
        $.a.b: shallow
`
    const { r, file } = await smoke(text)
    const a = r.annotations.find((e) => e.title === 'smoke-test: two wrongs')
    expect(a).toMatchObject({ file, line: 2 })
    expect(a?.message).toBe(
      'check \'two wrongs\' failed: status: expected 201, got 200\nalso: json $.a.b: expected "shallow", got "deep" (line 7)'
    )
    expect(r.summary).toContain('#### Failed checks')
    expect(r.summary).toContain(`<details><summary>two wrongs — 2 failed assertions, GET ${app.url}/api/item</summary>`)
    expect(r.summary).toContain(`<li><code>${file}:5</code> status: expected 201, got 200</li>`)
    expect(r.summary).toContain('<pre>{"a":{"b":"deep"},')
  })

  test('the summary shows the first failed assertion with expected vs actual', () => {
    expect(res.r.summary).toContain('### ❌ Smoke test: 16 of 28 checks failed')
    expect(res.r.summary).toMatch(
      /\| json equals fail \| ❌ failed \| 200 \| [\d.]+ ms \| json \$.list\[1\]: expected 40, got 4 \|/
    )
    expect(res.r.summary).toContain('| body-contains fail | ❌ failed | 200 |')
    expect(res.r.summary).toMatch(
      /\| timeout fail \| ❌ failed \| – \| .* \| request: expected a response, got timed out after 300 ms \|/
    )
  })

  test('JUnit has a failure element per failed check', () => {
    const xml = readFileSync(join(ws, 'reports', 'kinds.xml'), 'utf8')
    expect(xml).toContain('tests="28" failures="16" errors="0" skipped="0"')
    expect(xml.match(/<failure /g)).toHaveLength(16)
    expect(xml).toContain(
      `<testcase name="status fail" classname="${res.file}" file="${res.file}" line="${lineOf(spec, '- name: status fail')}"`
    )
    expect(xml).toContain('<failure message="status: expected 200,204, got 500" type="status">')
    expect(xml).toContain('&quot;deep&quot;')
  })
})

describe('smoke-test: captures, needs, skips and retries', () => {
  const spec = `vars:
  USER: alice
checks:
  - name: login
    request:
      method: POST
      url: /api/login
      json: { user: '\${USER}', password: '\${SMOKE_PASSWORD}' }
    capture:
      token: $.token
      cookie: { header: set-cookie }
  - name: me
    needs: login
    request: { url: /api/me, headers: { Authorization: 'Bearer \${token}' } }
    expect: { json: { $.name: '\${USER}' } }
    capture: { id: $.id, roles: $.roles }
  - name: orders
    needs: [me]
    request:
      url: /api/users/\${id}/orders
      headers: { Authorization: 'Bearer \${token}' }
      query: { limit: '\${id}' }
    expect: { json: { $.limit: '7', $.count: 2 } }
  - name: echo typed captures
    needs: me
    request:
      method: PUT
      url: /echo
      headers: { X-Forwarded-Cookie: '\${cookie}' }
      json: { id: '\${id}', roles: '\${roles}', text: 'id=\${id}' }
    expect:
      json:
        $.method: PUT
        $.type: application/json
        $.forwarded: { matches: '^sid=tok_[0-9a-f]{24}; HttpOnly$' }
        $.body: '{"id":7,"roles":["reader","writer"],"text":"id=7"}'
  - name: bad login
    request: { method: POST, url: /api/login, json: { user: x, password: wrong } }
    expect: { status: 200 }
    capture: { badToken: $.token }
  - name: uses bad token
    needs: bad login
    request: { url: /api/me, headers: { Authorization: 'Bearer \${badToken}' } }
  - name: transitively skipped
    needs: [uses bad token, login]
    request: { url: /api/never }
  - name: flaky until third try
    request: { url: /flaky/a }
    retries: 2
  - name: flaky gives up
    request: { url: /flaky/b }
    retries: 1
  - name: flaky with the global retries
    request: { url: /flaky/c }
`
  let res: Awaited<ReturnType<typeof smoke>>
  beforeAll(async () => {
    reset()
    res = await smoke(spec, { retries: 3 }, { SMOKE_PASSWORD: 'pw' })
  }, 60_000)

  test('captures flow to the checks that need them (JSON token, id and list; a header)', () => {
    for (const n of ['login', 'me', 'orders', 'echo typed captures'])
      expect([n, res.byName.get(n)?.result]).toEqual([n, 'passed'])
    expect(state.hits.get('/api/users/7/orders')).toBe(1)
  })

  test('a check whose needs failed is skipped, not failed, and not sent', () => {
    expect(res.byName.get('bad login')).toMatchObject({ result: 'failed', status: 403 })
    expect(res.byName.get('uses bad token')).toMatchObject({
      result: 'skipped',
      attempts: 0,
      skipReason: "needs 'bad login', which failed"
    })
    expect(res.byName.get('transitively skipped')).toMatchObject({
      result: 'skipped',
      skipReason: "needs 'uses bad token', which was skipped"
    })
    expect(state.hits.get('/api/me')).toBe(1) // only 'me'
    expect(state.hits.has('/api/never')).toBe(false)
    expect(res.r.outputs).toMatchObject({ total: '10', passed: '6', failed: '2', skipped: '2' })
    expect(res.r.summary).toContain("| uses bad token | ⏭️ skipped | – | – | needs 'bad login', which failed |")
  })

  test('retries: success on the third try; giving up after its own retries; the global default', () => {
    expect(res.byName.get('flaky until third try')).toMatchObject({ result: 'passed', attempts: 3, status: 200 })
    expect(state.hits.get('/flaky/a')).toBe(3)
    expect(res.byName.get('flaky gives up')).toMatchObject({ result: 'failed', attempts: 2, status: 503 })
    expect(state.hits.get('/flaky/b')).toBe(2)
    expect(res.byName.get('flaky with the global retries')).toMatchObject({ result: 'passed', attempts: 3 })
    expect(res.r.summary).toContain('| flaky until third try | ✅ passed | 200 |')
    expect(res.r.summary).toContain('passed after 3 attempts')
  })
})

describe('smoke-test: concurrency and fail-fast', () => {
  const many = (n: number) =>
    `checks:\n${Array.from({ length: n }, (_, i) => `  - { name: c${i}, request: { url: /barrier/${i} } }`).join('\n')}\n`

  test.each([3, 1])('at most %i requests are in flight (measured on the server)', async (limit) => {
    reset()
    state.barrier = limit
    const { r } = await smoke(many(9), { concurrency: limit })
    expect(r.code).toBe(0)
    expect(r.outputs.passed).toBe('9')
    expect(state.maxInFlight).toBe(limit)
  })

  test('fail-fast: after the first failure no new check starts; the rest are skipped', async () => {
    reset()
    const spec = `checks:
  - { name: one, request: { url: /healthz } }
  - { name: two, request: { url: /api/broken } }
  - { name: three, request: { url: /api/item } }
  - { name: four, request: { url: /api/item } }
`
    const { r, byName } = await smoke(spec, { concurrency: 1, 'fail-fast': true })
    expect(r.code).toBe(1)
    expect(r.outputs).toMatchObject({ total: '4', passed: '1', failed: '1', skipped: '2' })
    expect(byName.get('three')?.skipReason).toBe('not started: fail-fast after an earlier failure')
    expect(state.hits.has('/api/item')).toBe(false)
  })
})

describe('smoke-test: bad specs fail before any request, at file:line', () => {
  const base = (extra: string) => `checks:\n  - name: a\n    request: { url: /healthz }\n${extra}`
  test.each([
    ['an unknown key', base('    expect: { stauts: 200 }\n'), 4, "check 'a' expect: unknown key 'stauts'"],
    ['a wrong type', base('    retries: twice\n'), 4, `check 'a' retries: expected a number, got "twice"`],
    [
      'a needs cycle',
      base('    needs: b\n  - { name: b, request: { url: /healthz }, needs: a }\n'),
      4,
      "check 'a' needs: needs cycle: a → b → a"
    ],
    ['an unknown need', base('    needs: [nope]\n'), 4, "check 'a' needs[0]: needs unknown check 'nope' (known: a)"],
    [
      'an undefined ${VAR}',
      base('  - { name: b, request: { url: "/x/${MISSING}" } }\n'),
      4,
      "check 'b' request.url: undefined variable ${MISSING}: not in vars, SMOKE_* environment variables, or captures of the checks it needs"
    ],
    [
      'an invalid regex',
      base("    expect: { body-matches: '(oops' }\n"),
      4,
      "check 'a' expect.body-matches: invalid regular expression /(oops/: Unterminated group"
    ]
  ])('%s', async (_what, spec, line, message) => {
    reset()
    const { r, file } = await smoke(spec, { junit: 'reports/bad.xml' })
    expect(r.code).toBe(1)
    expect(state.hits.size).toBe(0) // no request reached the app
    const errors = r.annotations.filter((a) => a.level === 'error')
    expect(errors[0]).toMatchObject({ file, line, title: 'smoke spec' })
    expect(errors[0]?.message).toMatch(new RegExp(`^${file.replace(/\./g, '\\.')}:${line}:\\d+: `))
    expect(errors[0]?.message.replace(/^[^ ]+ /, '')).toBe(message)
    // The failure line is the same one line.
    expect(errors.at(-1)?.message).toBe(errors[0]?.message)
    // The summary, report and JUnit XML say why; no counts are set.
    expect(Object.keys(r.outputs).sort()).toEqual(['junit', 'report'])
    const xml = readFileSync(join(ws, 'reports', 'bad.xml'), 'utf8')
    expect(xml).toContain('tests="1" failures="0" errors="1" skipped="0"')
    expect(xml).toContain(`<testcase name="spec" classname="${file}" file="${file}" line="${line}" time="0.000">`)
    expect(xml).toMatch(/<error message="[^"]+" type="SpecError">/)
    const report = JSON.parse(readFileSync(r.outputs.report as string, 'utf8')) as { ok: boolean; problems: unknown[] }
    expect(report).toMatchObject({
      schema: 1,
      ok: false,
      spec: file,
      problems: [expect.objectContaining({ line, message: expect.any(String) })]
    })
    expect(r.summary).toContain('### ❌ Smoke test: the spec has 1 problem; no request was sent')
    expect(r.summary).toContain(`| ${errors[0]?.message.split(' ')[0]?.replace(/:$/, '')} |`)
  })

  test('a missing spec file and a bad input are one line naming the input', async () => {
    const missing = await runAction('smoke-test', { inputs: { spec: 'nope.yml' }, workspace: ws, post: false })
    expect(missing.code).toBe(1)
    expect(missing.annotations.map((a) => a.message)).toEqual([
      "Input 'spec' has invalid value 'nope.yml': no such file: expected the path of a YAML smoke spec"
    ])
    copyFileSync(join(repoRoot, 'examples', 'smoke', 'smoke.yml'), join(ws, 'example.yml'))
    const bad = await runAction('smoke-test', {
      inputs: { spec: 'example.yml', 'base-url': app.url, concurrency: 0 },
      workspace: ws,
      post: false
    })
    expect(bad.code).toBe(1)
    expect(bad.annotations.map((a) => a.message)).toEqual([
      "Input 'concurrency' has invalid value '0': expected a whole number from 1 to 256"
    ])
  })
})
