import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals'
import { NodeHttpClient, ProbeClient, latencyStats, percentile, type HttpClient } from '@gantry/probe'
import { freePort, startServer, type TestServer } from '../helpers/http.js'

let server: TestServer
// Both transports must give the same results: the gate runs on undici, smoke-test on node:http.
const clients: Array<[string, HttpClient]> = [
  ['ProbeClient (undici)', new ProbeClient({ connections: 4 })],
  ['NodeHttpClient (node:http)', new NodeHttpClient({ connections: 4 })]
]

beforeAll(async () => {
  server = await startServer((req, res) => {
    if (req.url === '/ok') {
      res.setHeader('x-trace', 'abc')
      res.end('hello')
    } else if (req.url === '/reset') {
      req.socket.destroy()
    } else if (req.url === '/hang') {
      // never answers; the client's bound ends it
    } else if (req.url === '/echo') {
      let body = ''
      req.on('data', (d) => (body += d))
      req.on('end', () =>
        res.end(
          JSON.stringify({
            method: req.method,
            auth: req.headers.authorization,
            length: req.headers['content-length'],
            body
          })
        )
      )
    } else {
      res.statusCode = 404
      res.end()
    }
  })
})
afterAll(async () => {
  for (const [, client] of clients) await client.close()
  await server.close()
})

describe.each(clients)('%s', (_name, client) => {
  test('status, headers, body and latency', async () => {
    const r = await client.send({ url: `${server.url}/ok`, timeoutMs: 2000 })
    expect(r.status).toBe(200)
    expect(r.headers['x-trace']).toBe('abc')
    expect(r.body).toBe('hello')
    expect(r.latencyMs).toBeGreaterThan(0)
    expect(r.error).toBeUndefined()
  })
  test('method and headers are sent', async () => {
    const r = await client.send({
      url: `${server.url}/echo`,
      method: 'post',
      headers: [['Authorization', 'Bearer t']],
      timeoutMs: 2000
    })
    expect(JSON.parse(r.body)).toEqual({ method: 'POST', auth: 'Bearer t', length: '0', body: '' })
  })
  test('a body is sent with its length (UTF-8 bytes)', async () => {
    const r = await client.send({
      url: `${server.url}/echo`,
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{"name":"zoë"}',
      timeoutMs: 2000
    })
    expect(JSON.parse(r.body)).toMatchObject({ method: 'PUT', length: '15', body: '{"name":"zoë"}' })
  })
  test('an aborted signal ends the request as aborted, not as a timeout', async () => {
    const r = await client.send({ url: `${server.url}/hang`, timeoutMs: 5000, signal: AbortSignal.abort() })
    expect(r.error?.kind).toBe('aborted')
  })
  test('connection refused', async () => {
    const r = await client.send({ url: `http://127.0.0.1:${await freePort()}/`, timeoutMs: 2000 })
    expect(r.error?.kind).toBe('refused')
    expect(r.status).toBeUndefined()
  })
  test('connection reset', async () => {
    const r = await client.send({ url: `${server.url}/reset`, timeoutMs: 2000 })
    expect(r.error?.kind).toBe('reset')
  })
  test('timeout is bounded by timeoutMs', async () => {
    const r = await client.send({ url: `${server.url}/hang`, timeoutMs: 200 })
    expect(r.error).toEqual({ kind: 'timeout', message: 'timed out after 200 ms' })
  })
  test('DNS failure', async () => {
    const r = await client.send({ url: 'http://gantry-no-such-host.invalid/', timeoutMs: 5000 })
    expect(r.error?.kind).toBe('dns')
  })
  test('the time bound is released when the exchange ends, answered or failed', async () => {
    // An odd bound picks out exchange()'s own timer among any the transport sets.
    const bound = 123_457
    const set = jest.spyOn(globalThis, 'setTimeout')
    const cleared = jest.spyOn(globalThis, 'clearTimeout')
    try {
      await client.send({ url: `${server.url}/ok`, timeoutMs: bound })
      await client.send({ url: `${server.url}/reset`, timeoutMs: bound })
      const timers = set.mock.results.filter((_r, i) => set.mock.calls[i][1] === bound).map((r) => r.value)
      expect(timers).toHaveLength(2)
      for (const t of timers) expect(cleared.mock.calls.map((c) => c[0])).toContain(t)
    } finally {
      set.mockRestore()
      cleared.mockRestore()
    }
  })
  test('body is capped at maxBodyBytes', async () => {
    const r = await client.send({ url: `${server.url}/ok`, timeoutMs: 2000, maxBodyBytes: 3 })
    expect(r.body).toBe('hel')
  })
})

describe('latency stats', () => {
  test('nearest-rank percentiles', () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1)
    expect(percentile(v, 50)).toBe(50)
    expect(percentile(v, 95)).toBe(95)
    expect(percentile(v, 99)).toBe(99)
    expect(latencyStats([3, 1, 2])).toMatchObject({ count: 3, min: 1, max: 3, p50: 2, p99: 3 })
  })
  test('empty sample gives NaN, not a made-up number', () => {
    expect(Number.isNaN(latencyStats([]).p95)).toBe(true)
  })
})
