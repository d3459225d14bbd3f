// The gate's phases against a real local server, driven directly (the e2e
// suite covers the shipped bundle).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { StatusSet } from '@gantry/core'
import { ProbeClient, displayUrl, judge, pollUntilHealthy } from '@gantry/probe'
import { startServer, type TestServer } from '../helpers/http.js'

const expect200 = { status: StatusSet.parse('200') }

describe('judge', () => {
  test('status, body and errors', () => {
    expect(judge({ status: 200, headers: {}, body: 'ok', latencyMs: 1 }, expect200)).toEqual({ pass: true })
    expect(judge({ status: 204, headers: {}, body: '', latencyMs: 1 }, expect200)).toEqual({
      pass: false,
      reason: 'status 204 (expected 200)'
    })
    expect(judge({ status: 200, headers: {}, body: 'down', latencyMs: 1 }, { ...expect200, body: /^up$/ })).toEqual({
      pass: false,
      reason: 'body did not match /^up$/'
    })
    expect(
      judge(
        { headers: {}, body: '', latencyMs: 1, error: { kind: 'refused', message: 'connection refused' } },
        expect200
      )
    ).toEqual({ pass: false, reason: 'connection refused' })
  })
  test('credentials never appear in a displayed URL', () => {
    expect(displayUrl(new URL('https://user:pw@example.com/h'))).toBe('https://example.com/h')
  })
})

describe('pollUntilHealthy', () => {
  let server: TestServer
  let healthyFrom = Infinity
  const client = new ProbeClient()
  beforeAll(async () => {
    server = await startServer((_req, res, hit) => {
      res.statusCode = hit >= healthyFrom ? 200 : 503
      res.end()
    })
  })
  afterAll(async () => {
    await client.close()
    await server.close()
  })

  test('a failure resets the streak; threshold passes in a row make it healthy', async () => {
    const before = server.hits
    healthyFrom = before + 3
    const out = await pollUntilHealthy(client, {
      request: { url: server.url, timeoutMs: 1000 },
      expect: expect200,
      intervalMs: 5,
      maxWaitMs: 10_000,
      threshold: 4
    })
    expect(out).toMatchObject({ healthy: true, attempts: 6, passes: 4, failures: 2 })
    expect(out.lastReason).toBe('status 503 (expected 200)')
    expect(server.hits - before).toBe(6)
  })

  test('an abort signal ends the wait', async () => {
    healthyFrom = Infinity
    const ac = new AbortController()
    const p = pollUntilHealthy(client, {
      request: { url: server.url, timeoutMs: 1000 },
      expect: expect200,
      intervalMs: 60_000,
      maxWaitMs: 600_000,
      threshold: 1,
      signal: ac.signal
    })
    ac.abort()
    const out = await p
    expect(out.healthy).toBe(false)
    expect(out.attempts).toBeLessThanOrEqual(1)
  })
})
