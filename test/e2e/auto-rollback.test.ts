// auto-rollback through the committed bundle, against releases deploy-atomic's
// bundle made in real temp dirs and health endpoints on 127.0.0.1.
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAction } from '../harness/runner.mjs'
import { startServer, type TestServer } from '../helpers/http.js'

jest.setTimeout(90_000)

let root: string
let base: string
let server: TestServer | undefined

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'gantry-e2e-rollback-'))
  base = join(root, 'app')
})
afterEach(async () => {
  await server?.close()
  server = undefined
  rmSync(root, { recursive: true, force: true })
})

async function deployAll(...ids: string[]): Promise<void> {
  for (const id of ids) {
    const src = join(root, 'src', id)
    mkdirSync(src, { recursive: true })
    writeFileSync(join(src, 'index.html'), id)
    const r = await runAction('deploy-atomic', { inputs: { source: src, path: base, 'release-id': id } })
    if (r.code !== 0) throw new Error(`deploy ${id} failed: ${r.stdout}`)
  }
}

const history = () => JSON.parse(readFileSync(join(base, '.gantry', 'history.json'), 'utf8'))
const current = () => readlinkSync(join(base, 'current')).replace('releases/', '')
const errors = (r: { annotations: Array<{ level: string; message: string }> }) =>
  r.annotations.filter((a) => a.level === 'error').map((a) => a.message)
const release = (id: string) => history().releases.find((x: { id: string }) => x.id === id)

describe('watch: 0 (roll back now)', () => {
  test('goes to the newest good older release, marks the left one bad, reports a failed deployment', async () => {
    await deployAll('r1', 'r2', 'r3')
    const r = await runAction('auto-rollback', { inputs: { path: base, reason: 'smoke test failed' } })
    expect(r.code).toBe(0)
    expect(r.outputs).toMatchObject({ 'rolled-back': 'true', from: 'r3', to: 'r2', reason: 'smoke test failed' })
    expect(Number(r.outputs.duration)).toBeGreaterThanOrEqual(0)
    expect(current()).toBe('r2')
    expect(release('r3')).toMatchObject({
      status: 'bad',
      bad: { reason: 'smoke test failed', actor: 'octocat', run: '4242' }
    })
    expect(history().events.at(-1)).toMatchObject({ kind: 'rollback', from: 'r3', to: 'r2', actor: 'octocat' })
    // Plainly a failed deployment, though the step (the rollback) succeeded.
    expect(errors(r)).toEqual([
      expect.stringMatching(/^Deployment failed: rolled back from r3 to r2: smoke test failed$/)
    ])
    expect(r.summary).toMatch(/deployment failed — rolled back from r3 to r2/)
    expect(r.summary).toMatch(/r3 is marked \*\*bad\*\*/)
    const report = JSON.parse(readFileSync(r.outputs.report, 'utf8'))
    expect(report).toMatchObject({ schema: 1, action: 'auto-rollback', rolledBack: true, from: 'r3', to: 'r2' })

    // The next deploy and rollback never land on the bad r3.
    await deployAll('r4')
    const again = await runAction('auto-rollback', { inputs: { path: base } })
    expect(again.outputs).toMatchObject({ from: 'r4', to: 'r2', reason: 'rollback requested by octocat' })
  })

  test('to: an explicit release; a bad or missing one is refused and nothing changes', async () => {
    await deployAll('r1', 'r2', 'r3')
    const r = await runAction('auto-rollback', { inputs: { path: base, to: 'r1' } })
    expect(r.outputs).toMatchObject({ 'rolled-back': 'true', from: 'r3', to: 'r1' })
    const bad = await runAction('auto-rollback', { inputs: { path: base, to: 'r3' } })
    expect(bad.code).toBe(1)
    expect(errors(bad)).toEqual([expect.stringMatching(/release 'r3' is marked bad .* refusing to roll back onto it/)])
    const missing = await runAction('auto-rollback', { inputs: { path: base, to: 'r9' } })
    expect(errors(missing)).toEqual([expect.stringMatching(/release 'r9' does not exist/)])
    expect(current()).toBe('r1')
  })

  test('nothing to roll back to: a clear failure and nothing changed', async () => {
    await deployAll('only')
    const before = readFileSync(join(base, '.gantry', 'history.json'), 'utf8')
    const r = await runAction('auto-rollback', { inputs: { path: base } })
    expect(r.code).toBe(1)
    expect(r.outputs).toMatchObject({ 'rolled-back': 'false', from: 'only', to: 'only' })
    expect(errors(r)).toEqual([
      expect.stringMatching(/nothing to roll back to on local:.*: no good release older than only; nothing changed/)
    ])
    expect(r.summary).toMatch(/rollback failed/)
    expect(current()).toBe('only')
    expect(readFileSync(join(base, '.gantry', 'history.json'), 'utf8')).toBe(before)
  })

  test('shares the lock with deploys: a held lock is waited for, then a clear failure, nothing changed', async () => {
    await deployAll('r1', 'r2')
    const lock = {
      token: 'x',
      run: '77',
      purpose: 'deploy r3',
      host: 'other-runner',
      pid: 1,
      acquiredAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 600_000).toISOString()
    }
    writeFileSync(join(base, '.gantry', 'lock'), JSON.stringify(lock))
    const r = await runAction('auto-rollback', { inputs: { path: base }, env: { GANTRY_LOCK_WAIT: '1s' } })
    expect(r.code).toBe(1)
    expect(errors(r)).toEqual([
      expect.stringMatching(/another deploy holds the lock: run 77 \(deploy r3\) on other-runner, pid 1/)
    ])
    expect(current()).toBe('r2')
    expect(release('r2').status).toBe('good')
  })

  test('health-url is checked after the switch; an unhealthy restored release fails the step', async () => {
    await deployAll('r1', 'r2', 'r3')
    server = await startServer((_req, res) => res.end('ok'))
    const ok = await runAction('auto-rollback', { inputs: { path: base, 'health-url': `${server.url}/healthz` } })
    expect(ok.code).toBe(0)
    expect(ok.summary).toMatch(/✅ healthy \| HTTP 200/)
    await server.close()
    server = await startServer((_req, res) => {
      res.statusCode = 503
      res.end('down')
    })
    const bad = await runAction('auto-rollback', {
      inputs: { path: base, 'health-url': `${server.url}/healthz`, interval: '100ms', 'unhealthy-threshold': 2 }
    })
    expect(bad.code).toBe(1)
    expect(bad.outputs).toMatchObject({ 'rolled-back': 'true', from: 'r2', to: 'r1' })
    expect(errors(bad)).toContainEqual(
      expect.stringMatching(/rolled back to r1, but .* is not healthy either: status 503$/)
    )
  })
})

describe('watch: <duration>', () => {
  test('a clean watch: rolled-back=false, nothing changes', async () => {
    await deployAll('r1', 'r2')
    server = await startServer((_req, res) => res.end('ok'))
    const r = await runAction('auto-rollback', {
      inputs: { path: base, watch: '1s', interval: '100ms', 'health-url': server.url, 'max-error-rate': '0%' }
    })
    expect({ code: r.code, errors: errors(r) }).toEqual({ code: 0, errors: [] })
    expect(r.outputs).toMatchObject({ 'rolled-back': 'false', from: 'r2', to: 'r2' })
    expect(r.outputs.reason).toMatch(/^watch clean: \d+ probes, 0 failed/)
    expect(server.hits).toBeGreaterThanOrEqual(5)
    expect(current()).toBe('r2')
    expect(release('r2').status).toBe('good')
    expect(errors(r)).toEqual([])
  })

  test('consecutive failures trigger the rollback', async () => {
    await deployAll('r1', 'r2')
    // r2 breaks after two answers; r1 (once current again) is fine.
    let r2Hits = 0
    server = await startServer((_req, res) => {
      const broken = current() === 'r2' && ++r2Hits > 2
      res.statusCode = broken ? 500 : 200
      res.end()
    })
    const r = await runAction('auto-rollback', {
      inputs: { path: base, watch: '30s', interval: '50ms', 'health-url': server.url, 'unhealthy-threshold': 3 }
    })
    expect(r.code).toBe(0)
    expect(r.outputs).toMatchObject({ 'rolled-back': 'true', from: 'r2', to: 'r1' })
    // In health-gate's words (sampleFailure), as every reason the watch gives.
    expect(r.outputs.reason).toBe('3 consecutive failed probes (last: status 500)')
    expect(release('r2').bad.reason).toBe('3 consecutive failed probes (last: status 500)')
    expect(r2Hits).toBe(5)
    expect(r.summary).toMatch(/✅ healthy \| HTTP 200/)
  })

  test('the window error rate triggers the rollback', async () => {
    await deployAll('r1', 'r2')
    server = await startServer((_req, res, hit) => {
      res.statusCode = hit % 2 === 0 ? 502 : 200
      res.end()
    })
    const r = await runAction('auto-rollback', {
      inputs: {
        path: base,
        watch: '30s',
        interval: '50ms',
        'health-url': server.url,
        'unhealthy-threshold': 100,
        'max-error-rate': '10%',
        reason: 'canary'
      }
    })
    expect(r.outputs).toMatchObject({ 'rolled-back': 'true', to: 'r1' })
    expect(r.outputs.reason).toMatch(/^error rate 40% > max-error-rate 10% \(2× status 502\) \(canary\)$/)
  })

  test('p95 above max-latency-ratio × the baseline report p95 triggers the rollback', async () => {
    await deployAll('r1', 'r2')
    server = await startServer((_req, res) => setTimeout(() => res.end('slow'), 60))
    const baseline = join(root, 'baseline.json')
    writeFileSync(baseline, JSON.stringify({ schema: 1, action: 'health-gate', p95: 5 }))
    const r = await runAction('auto-rollback', {
      inputs: { path: base, watch: '30s', interval: '50ms', 'health-url': server.url, baseline }
    })
    expect(r.outputs).toMatchObject({ 'rolled-back': 'true', to: 'r1' })
    expect(r.outputs.reason).toMatch(/^p95 \d+(\.\d+)? ms > 2 × baseline p95 5 ms \(\d+\.\d\d×\)$/)
    expect(r.summary).toMatch(/\| Watch \| Probes \| Failed \| Error rate \| p95 \| p95 limit \|/)
  })

  test("the baseline's p95 for the watched URL wins over its overall p95, as in health-gate", async () => {
    await deployAll('r1', 'r2')
    server = await startServer((_req, res) => setTimeout(() => res.end('slow'), 60))
    const baseline = join(root, 'baseline-urls.json')
    const other = 'http://127.0.0.1:9/other'
    writeFileSync(
      baseline,
      JSON.stringify({
        schema: 1,
        action: 'health-gate',
        p95: 1000,
        urls: [
          { url: other, sample: { p95: 1 } },
          // As health-gate writes it: the URL normalised, credentials removed.
          { url: `${server.url}/`, sample: { p95: 6 } }
        ]
      })
    )
    const r = await runAction('auto-rollback', {
      inputs: { path: base, watch: '30s', interval: '50ms', 'health-url': server.url, baseline }
    })
    expect(r.outputs).toMatchObject({ 'rolled-back': 'true', to: 'r1' })
    expect(r.outputs.reason).toMatch(/^p95 \d+(\.\d+)? ms > 2 × baseline p95 6 ms \(\d+\.\d\d×\)$/)
  })

  test('p95 above max-p95 triggers the rollback', async () => {
    await deployAll('r1', 'r2')
    server = await startServer((_req, res) => setTimeout(() => res.end('slow'), 60))
    const r = await runAction('auto-rollback', {
      inputs: { path: base, watch: '30s', interval: '50ms', 'health-url': server.url, 'max-p95': '20ms' }
    })
    expect(r.outputs.reason).toMatch(/^p95 \d+(\.\d+)? ms > max-p95 20ms$/)
    expect(current()).toBe('r1')
  })
})

describe("health-url: one URL per line, as health-gate's url", () => {
  // /healthz always answers; /ready answers as `ready` says. Hits are counted per path.
  async function twoPaths(ready: () => number): Promise<{ urls: string; hits: Record<string, number> }> {
    const hits: Record<string, number> = {}
    server = await startServer((req, res) => {
      hits[req.url ?? ''] = (hits[req.url ?? ''] ?? 0) + 1
      res.statusCode = req.url === '/healthz' ? 200 : req.url === '/ready' ? ready() : 404
      res.end()
    })
    return { urls: `${server.url}/healthz\n${server.url}/ready`, hits }
  }

  test('a clean watch probes every URL each interval', async () => {
    await deployAll('r1', 'r2')
    const { urls, hits } = await twoPaths(() => 200)
    const r = await runAction('auto-rollback', {
      inputs: { path: base, watch: '1s', interval: '100ms', 'health-url': urls, 'max-error-rate': '0%' }
    })
    expect({ code: r.code, errors: errors(r) }).toEqual({ code: 0, errors: [] })
    expect(r.outputs).toMatchObject({ 'rolled-back': 'false', from: 'r2', to: 'r2' })
    expect(r.outputs.reason).toMatch(/^watch clean: \d+ probes, 0 failed/)
    expect(hits['/healthz']).toBeGreaterThanOrEqual(5)
    expect(hits['/ready']).toBe(hits['/healthz'])
    expect(Object.keys(hits).sort()).toEqual(['/healthz', '/ready'])
    expect(r.summary).toContain(`| ${server!.url}/healthz |`)
    expect(r.summary).toContain(`| ${server!.url}/ready |`)
    const report = JSON.parse(readFileSync(r.outputs.report, 'utf8'))
    expect(report.watch.urls.map((u: { url: string }) => u.url)).toEqual([
      `${server!.url}/healthz`,
      `${server!.url}/ready`
    ])
  })

  test('a breach on any URL rolls back, naming that URL', async () => {
    await deployAll('r1', 'r2')
    let r2Ready = 0
    const { urls } = await twoPaths(() => (current() === 'r2' && ++r2Ready > 2 ? 500 : 200))
    const r = await runAction('auto-rollback', {
      inputs: { path: base, watch: '30s', interval: '50ms', 'health-url': urls, 'unhealthy-threshold': 3 }
    })
    expect(r.code).toBe(0)
    expect(r.outputs).toMatchObject({ 'rolled-back': 'true', from: 'r2', to: 'r1' })
    const why = `${server!.url}/ready: 3 consecutive failed probes (last: status 500)`
    expect(r.outputs.reason).toBe(why)
    expect(release('r2').bad.reason).toBe(why)
    // After the switch both URLs are checked, and both pass on r1.
    expect(r.summary).toMatch(new RegExp(`\\| ${server!.url}/healthz \\| ✅ healthy \\| HTTP 200`))
    expect(r.summary).toMatch(new RegExp(`\\| ${server!.url}/ready \\| ✅ healthy \\| HTTP 200`))
  })

  test('after a rollback every URL is checked; one unhealthy fails the step, naming it', async () => {
    await deployAll('r1', 'r2', 'r3')
    const { urls, hits } = await twoPaths(() => 503)
    const r = await runAction('auto-rollback', {
      inputs: { path: base, 'health-url': urls, interval: '100ms', 'unhealthy-threshold': 2 }
    })
    expect(r.code).toBe(1)
    expect(r.outputs).toMatchObject({ 'rolled-back': 'true', from: 'r3', to: 'r2' })
    expect(errors(r)).toContainEqual(`rolled back to r2, but ${server!.url}/ready is not healthy either: status 503`)
    expect(hits['/healthz']).toBe(1)
    expect(hits['/ready']).toBe(2)
  })
})

describe('bad inputs: one line, nothing changed', () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [
      { watch: '10s' },
      /^Input 'health-url' is required when watch is not 0 \(watch is '10s'\): expected one or more http\(s\) URLs, one per line$/
    ],
    [{ watch: 'soon' }, /^Input 'watch' has invalid value 'soon': expected a duration/],
    [{ 'max-error-rate': '150%' }, /^Input 'max-error-rate' has invalid value '150%': expected a rate/],
    [{ 'unhealthy-threshold': '0' }, /^Input 'unhealthy-threshold' has invalid value '0'/],
    [{ to: '../r1' }, /^Input 'to' has invalid value '\.\.\/r1': expected a release id/],
    [{ 'health-url': 'ftp://x' }, /^Input 'health-url' has invalid value 'ftp:\/\/x': expected an http\(s\) URL/],
    // Not one URL made of two lines: each line is checked.
    [
      { 'health-url': 'http://127.0.0.1:9/healthz\nftp://x' },
      /^Input 'health-url' has invalid value 'http:\/\/127\.0\.0\.1:9\/healthz\\nftp:\/\/x': expected an http\(s\) URL/
    ],
    [{ baseline: '/nonexistent.json' }, /^Input 'baseline' has invalid value '\/nonexistent\.json': .*file not found/],
    [{ baseline: '__NO_P95__' }, /^Input 'baseline' has invalid value .*earlier health-gate run \(it has no p95/],
    [{ baseline: '__NO_SCHEMA__' }, /^Input 'baseline' has invalid value .*earlier health-gate run \(no "schema": 1/]
  ]
  test.each(cases)('%j', async (given, message) => {
    await deployAll('r1', 'r2')
    writeFileSync(join(root, 'nop95.json'), JSON.stringify({ schema: 1, p95: null }))
    writeFileSync(join(root, 'noschema.json'), JSON.stringify({ p95: 5 }))
    const inputs: Record<string, string> = { path: base, ...given }
    if (inputs.baseline === '__NO_P95__') inputs.baseline = join(root, 'nop95.json')
    if (inputs.baseline === '__NO_SCHEMA__') inputs.baseline = join(root, 'noschema.json')
    const r = await runAction('auto-rollback', { inputs })
    expect(r.code).toBe(1)
    expect(errors(r)).toEqual([expect.stringMatching(message)])
    expect(current()).toBe('r2')
    expect(existsSync(join(base, '.gantry', 'lock'))).toBe(false)
  })
})
