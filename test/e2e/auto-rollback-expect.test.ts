// auto-rollback through the bundle with health-gate's expectation: expect-status
// and expect-body judge every probe of every health-url (one URL per line), on
// two local servers, in health-gate's words.
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAction } from '../harness/runner.mjs'
import { startServer, type TestServer } from '../helpers/http.js'

jest.setTimeout(90_000)

let root: string
let base: string
let servers: TestServer[] = []

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'gantry-e2e-rollback-expect-'))
  base = join(root, 'app')
  for (const id of ['r1', 'r2']) {
    const src = join(root, 'src', id)
    mkdirSync(src, { recursive: true })
    writeFileSync(join(src, 'index.html'), id)
    const r = await runAction('deploy-atomic', { inputs: { source: src, path: base, 'release-id': id } })
    if (r.code !== 0) throw new Error(`deploy ${id} failed: ${r.stdout}`)
  }
})
afterEach(async () => {
  for (const s of servers) await s.close()
  servers = []
  rmSync(root, { recursive: true, force: true })
})

const current = () => readlinkSync(join(base, 'current')).replace('releases/', '')
const history = () => readFileSync(join(base, '.gantry', 'history.json'), 'utf8')
const errors = (r: { annotations: Array<{ level: string; message: string }> }) =>
  r.annotations.filter((a) => a.level === 'error').map((a) => a.message)

const OK = '{"status": "ok"}'
const EXPECT_BODY = '"status":\\s*"ok"'

/** Two servers: /healthz on one always answers OK; /ready on the other answers `ready()`'s body. */
async function twoServers(ready: () => string): Promise<{ healthz: string; ready: string }> {
  const a = await startServer((_req, res) => res.end(OK))
  const b = await startServer((_req, res) => res.end(ready()))
  servers = [a, b]
  return { healthz: `${a.url}/healthz`, ready: `${b.url}/ready` }
}

describe('expect-status and expect-body, on every health-url', () => {
  test('a clean watch when every URL meets the expectation', async () => {
    const u = await twoServers(() => OK)
    const r = await runAction('auto-rollback', {
      inputs: {
        path: base,
        watch: '1s',
        interval: '100ms',
        'health-url': `${u.healthz}\n${u.ready}`,
        'expect-status': '200',
        'expect-body': EXPECT_BODY
      }
    })
    expect({ code: r.code, errors: errors(r) }).toEqual({ code: 0, errors: [] })
    expect(r.outputs).toMatchObject({ 'rolled-back': 'false', from: 'r2', to: 'r2' })
    expect(r.outputs.reason).toMatch(/^watch clean: \d+ probes, 0 failed/)
    expect(servers.map((s) => s.hits >= 5)).toEqual([true, true])
    const report = JSON.parse(readFileSync(r.outputs.report, 'utf8'))
    expect(report.watch).toMatchObject({ expectStatus: '200', expectBody: EXPECT_BODY })
  })

  test('a wrong body on one URL rolls back, naming that URL and the expect-body pattern', async () => {
    // r2's /ready answers 200 with the wrong body; r1 (once current again) answers OK.
    const u = await twoServers(() => (current() === 'r2' ? '{"status": "degraded"}' : OK))
    const r = await runAction('auto-rollback', {
      inputs: {
        path: base,
        watch: '30s',
        interval: '50ms',
        'health-url': `${u.healthz}\n${u.ready}`,
        'unhealthy-threshold': 3,
        'expect-status': '200',
        'expect-body': EXPECT_BODY
      }
    })
    expect(r.code).toBe(0)
    expect(r.outputs).toMatchObject({ 'rolled-back': 'true', from: 'r2', to: 'r1' })
    // health-gate's words for a body that fails expect-body, with the expect-body pattern.
    const why = `${u.ready}: 3 consecutive failed probes (last: body did not match /${EXPECT_BODY}/)`
    expect(r.outputs.reason).toBe(why)
    expect(JSON.parse(history()).releases.find((x: { id: string }) => x.id === 'r2').bad.reason).toBe(why)
    // The summary's watch row for /ready names the breach; /healthz stayed healthy.
    // (Markdown-escaped there: the pattern's backslash is doubled, so only its start is matched.)
    expect(r.summary).toMatch(
      new RegExp(`\\| ${u.ready} \\|[^\\n]*❌ 3 consecutive failed probes \\(last: body did not match /"status"`)
    )
    expect(r.summary).toMatch(new RegExp(`\\| ${u.healthz} \\|[^\\n]*✅ healthy \\|`))
    // After the switch both URLs are checked against the same expectation, and pass on r1.
    expect(r.summary).toMatch(new RegExp(`\\| ${u.ready} \\| ✅ healthy \\| HTTP 200`))
  })

  test('a status outside expect-status fails a probe that the default would pass', async () => {
    const a = await startServer((_req, res) => res.end(OK))
    servers = [a]
    const r = await runAction('auto-rollback', {
      inputs: { path: base, watch: '30s', interval: '50ms', 'health-url': a.url, 'expect-status': '204' }
    })
    expect(r.outputs).toMatchObject({ 'rolled-back': 'true', from: 'r2', to: 'r1' })
    // One URL: no URL prefix, as before.
    expect(r.outputs.reason).toBe('3 consecutive failed probes (last: status 200)')
  })
})

describe('bad expect-status / expect-body: one line, before any probe or change', () => {
  test.each([
    [
      { 'expect-status': 'abc' },
      "Input 'expect-status' has invalid value 'abc': expected HTTP status codes such as 200, 200-299 or 2xx, comma-separated"
    ],
    [{ 'expect-body': '(' }, "Input 'expect-body' has invalid value '(': expected a valid regular expression"]
  ])('%j', async (given, line) => {
    const a = await startServer((_req, res) => res.end(OK))
    servers = [a]
    const before = history()
    const r = await runAction('auto-rollback', {
      inputs: { path: base, watch: '10s', interval: '1s', 'health-url': a.url, ...given }
    })
    expect(r.code).toBe(1)
    expect(errors(r)).toEqual([line])
    expect(a.hits).toBe(0)
    expect(current()).toBe('r2')
    expect(history()).toBe(before)
    expect(existsSync(join(base, '.gantry', 'lock'))).toBe(false)
  })
})
