// health-gate through the shipped bundle: redirects are followed (at most 5)
// and the final status judged. Before, the default 200-399 let a 301 loop
// pass on its first answer. And a gate that fails before sampling reports no
// error rate (it reported error-rate=0 beside an empty p50).
import { afterEach, describe, expect, jest, test } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { runAction } from '../harness/runner.mjs'
import { startServer, type TestServer } from '../helpers/http.js'

jest.setTimeout(60_000)

const servers: TestServer[] = []
async function serve(handler: Parameters<typeof startServer>[0]): Promise<TestServer> {
  const s = await startServer(handler)
  servers.push(s)
  return s
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

const fast = { interval: '50ms', 'max-wait': '1s', timeout: '1s', samples: '5', 'healthy-threshold': '2' }
const errors = (r: { annotations: Array<{ level: string; message: string }> }) =>
  r.annotations.filter((a) => a.level === 'error').map((a) => a.message)

describe('health-gate follows redirects and judges the final status', () => {
  test('a 301 loop fails with its reason, and reports no error rate (it never sampled)', async () => {
    const s = await serve((req, res) => {
      res.statusCode = 301
      res.setHeader('location', req.url === '/a' ? '/b' : '/a')
      res.end()
    })
    const r = await runAction('health-gate', { inputs: { ...fast, url: `${s.url}/a` } })
    expect(r.code).toBe(1)
    expect(r.outputs.healthy).toBe('false')
    expect(errors(r)[0]).toMatch(
      new RegExp(`: not healthy after \\d+ attempts .*: redirect loop: ${s.url}/a → ${s.url}/b → ${s.url}/a$`)
    )
    // No sample, so no error rate: not 0 beside an empty p50.
    expect(r.outputs['error-rate']).toBe('')
    expect(r.outputs.p50).toBe('')
    const rep = JSON.parse(readFileSync(r.outputs.report, 'utf8')) as { errorRate: unknown; p50: unknown }
    expect(rep).toMatchObject({ errorRate: null, p50: null })
  })

  test('five redirects are followed to the final 200; a sixth fails', async () => {
    const s = await serve((req, res) => {
      const n = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('n') ?? 0)
      const limit = req.url?.startsWith('/six') ? 6 : 5
      if (n < limit) {
        res.statusCode = n % 2 ? 302 : 307
        res.setHeader('location', `${req.url?.split('?')[0]}?n=${n + 1}`)
        res.end()
      } else res.end('ok')
    })
    const five = await runAction('health-gate', { inputs: { ...fast, url: `${s.url}/five`, 'expect-status': '200' } })
    expect(errors(five)).toEqual([])
    expect(five.code).toBe(0)
    expect(five.outputs['error-rate']).toBe('0')

    const six = await runAction('health-gate', { inputs: { ...fast, url: `${s.url}/six`, 'expect-status': '200-399' } })
    expect(six.code).toBe(1)
    expect(errors(six)[0]).toMatch(/: more than 5 redirects: .*\/six → .*\/six$/)
  })

  test('the final status is judged: a redirect to a 500 fails; to a non-http(s) Location fails with why', async () => {
    const s = await serve((req, res) => {
      if (req.url === '/down') {
        res.statusCode = 301
        res.setHeader('location', '/error')
      } else if (req.url === '/ftp') {
        res.statusCode = 302
        res.setHeader('location', 'ftp://example.com/x')
      } else res.statusCode = 500
      res.end()
    })
    const down = await runAction('health-gate', { inputs: { ...fast, url: `${s.url}/down` } })
    expect(down.code).toBe(1)
    expect(errors(down)[0]).toMatch(/: status 500 \(expected 200-399\)$/)
    const ftp = await runAction('health-gate', { inputs: { ...fast, url: `${s.url}/ftp` } })
    expect(errors(ftp)[0]).toMatch(/: redirect 302 from .*\/ftp to a ftp: URL \(only http\(s\) is followed\)$/)
  })
})
