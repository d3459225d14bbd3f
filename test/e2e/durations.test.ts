// Durations through the shipped bundles: `d` is a unit, and every duration
// input that becomes a timer is bounded by 2^31-1 ms (Node.js fires a longer
// timer after 1 ms: a gate with `timeout: 9999999h` failed every request, one
// with such an interval or max-wait polled without pause).
import { afterEach, describe, expect, jest, test } from '@jest/globals'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAction } from '../harness/runner.mjs'
import { startServer, type TestServer } from '../helpers/http.js'

jest.setTimeout(60_000)

const servers: TestServer[] = []
const dirs: string[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

async function ok(): Promise<TestServer> {
  const s = await startServer((_req, res) => res.end('ok'))
  servers.push(s)
  return s
}

const BOUND = 'at most 2147483647ms (about 24d 20h, the longest timer Node.js can hold)'
const errors = (r: { annotations: Array<{ level: string; message: string }> }) =>
  r.annotations.filter((a) => a.level === 'error').map((a) => a.message)

describe('durations that become timers are bounded, and say the bound', () => {
  test.each([
    ['timeout', '9999999h'],
    ['interval', '9999999h'],
    ['max-wait', '25d'],
    ['timeout', '2147483648ms']
  ])('health-gate %s: %s is one line before any request', async (input, value) => {
    const s = await ok()
    const r = await runAction('health-gate', { inputs: { url: s.url, [input]: value }, timeoutMs: 20_000 })
    expect(r.code).toBe(1)
    expect(errors(r)).toEqual([
      `Input '${input}' has invalid value '${value}': expected a duration such as 250ms, 5s, 2m, 1h, 1d or 1m30s (a bare number is seconds), greater than 0 and ${BOUND}`
    ])
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /)
    expect(s.hits).toBe(0)
  })

  test('health-gate: 24d is within the bound and d is a unit', async () => {
    const s = await ok()
    const r = await runAction('health-gate', {
      inputs: { url: s.url, interval: '1d', 'max-wait': '24d', timeout: '1d', 'healthy-threshold': '1', samples: '0' },
      timeoutMs: 20_000
    })
    expect(errors(r)).toEqual([])
    expect(r.code).toBe(0)
    expect(r.outputs.healthy).toBe('true')
  })

  test('notify timeout and smoke-test timeout (input and a check in the spec) are bounded too', async () => {
    const n = await runAction('notify', { inputs: { status: 'success', timeout: '30d' } })
    expect(n.code).toBe(1)
    expect(errors(n)).toEqual([expect.stringContaining(`Input 'timeout' has invalid value '30d'`)])
    expect(errors(n)[0]).toContain(BOUND)

    const dir = mkdtempSync(join(tmpdir(), 'gantry-e2e-durations-'))
    dirs.push(dir)
    const s = await ok()
    const spec = join(dir, 'smoke.yml')
    writeFileSync(spec, 'checks:\n  - name: a\n    request: { url: / }\n')
    const input = await runAction('smoke-test', { inputs: { spec, 'base-url': s.url, timeout: '25d' } })
    expect(input.code).toBe(1)
    expect(errors(input)).toEqual([expect.stringContaining(`Input 'timeout' has invalid value '25d'`)])
    expect(errors(input)[0]).toContain(BOUND)

    writeFileSync(spec, 'checks:\n  - name: a\n    request: { url: / }\n    timeout: 25d\n')
    const check = await runAction('smoke-test', { inputs: { spec, 'base-url': s.url } })
    expect(check.code).toBe(1)
    expect(errors(check).join('\n')).toContain(`check 'a' timeout: expected a duration`)
    expect(errors(check).join('\n')).toContain(BOUND)
    expect(s.hits).toBe(0)
  })

  test('auto-rollback watch: 25d is refused before anything changes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-e2e-durations-'))
    dirs.push(dir)
    const s = await ok()
    const r = await runAction('auto-rollback', {
      inputs: { path: join(dir, 'app'), watch: '25d', 'health-url': s.url }
    })
    expect(r.code).toBe(1)
    expect(errors(r)).toEqual([expect.stringContaining(`Input 'watch' has invalid value '25d'`)])
    expect(errors(r)[0]).toContain(BOUND)
    expect(s.hits).toBe(0)
  })
})
