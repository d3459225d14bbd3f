// A URL's userinfo reaches the server as Basic credentials on both transports
// (undici ignores it by itself; node:http sends it), so health-gate,
// auto-rollback's watch and smoke-test agree on `https://user:pass@host/`.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { NodeHttpClient, ProbeClient, type HttpClient } from '@gantry/probe'

let server: Server
let base: string

beforeAll(async () => {
  server = createServer((req, res) => res.end(req.headers.authorization ?? 'none'))
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  base = `127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((ok) => server.close(() => ok())))

const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`

describe.each([
  ['undici', () => new ProbeClient()],
  ['node:http', () => new NodeHttpClient()]
])('%s', (_name, make: () => HttpClient) => {
  test('userinfo is sent as Basic, percent-decoded', async () => {
    const c = make()
    const r = await c.send({ url: `http://user:pa%40ss@${base}/`, timeoutMs: 5000 })
    await c.close()
    expect(r.body).toBe(basic('user:pa@ss'))
  })

  test('no userinfo, no Authorization', async () => {
    const c = make()
    const r = await c.send({ url: `http://${base}/`, timeoutMs: 5000 })
    await c.close()
    expect(r.body).toBe('none')
  })

  test('an Authorization header given wins over userinfo', async () => {
    const c = make()
    const r = await c.send({ url: `http://u:p@${base}/`, headers: { Authorization: 'Bearer t' }, timeoutMs: 5000 })
    await c.close()
    expect(r.body).toBe('Bearer t')
  })
})
