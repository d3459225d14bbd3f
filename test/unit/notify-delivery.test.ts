// Delivery: timeouts, retries with backoff and jitter, 429 + Retry-After
// honoured within a bound, and channels in parallel where one failure never
// hides the others. Real servers on 127.0.0.1; delays are asserted through
// onRetry's reported values, never by the clock.
import { afterEach, describe, expect, test } from '@jest/globals'
import { createServer } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import {
  DeliveryError,
  DeliveryFailed,
  buildMessage,
  contextFromEnv,
  deliver,
  discordWebhook,
  genericWebhook,
  httpError,
  notifyAll,
  parseRetryAfter,
  postJson,
  sentOutput,
  slackApi,
  slackWebhook,
  teamsWebhook,
  type DeliveryPolicy
} from '@gantry/notify'
import { freePort } from '../helpers/http.js'
import {
  checkDiscordBody,
  checkSlackMessage,
  checkTeamsEnvelope,
  startReceiver,
  startSlackApi,
  verifySignature,
  type Receiver,
  type Reply
} from '../helpers/notify-receivers.js'

const policy: DeliveryPolicy = { timeoutMs: 5_000, retries: 3, minDelayMs: 5, maxDelayMs: 40, maxRetryAfterMs: 2_000 }
const open: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()))
})
async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const r = await startReceiver(...args)
  open.push(r)
  return r
}
const noContentReply: Reply = (_r, _n, res) => void res.writeHead(204).end()
const message = buildMessage(
  { status: 'started', environment: 'staging' },
  contextFromEnv({ GITHUB_REPOSITORY: 'acme/shop', GITHUB_SHA: 'abcdef0123456789', GITHUB_RUN_ID: '1' })
)

describe('deliver', () => {
  test('retries retryable errors with growing, jittered delays, then gives up saying how often it tried', async () => {
    const delays: number[] = []
    let calls = 0
    const p = deliver(
      async () => {
        calls++
        throw new DeliveryError('HTTP 503', true, 503)
      },
      { ...policy, minDelayMs: 100, maxDelayMs: 1_000, random: () => 0 },
      (_e, _n, d) => delays.push(d)
    )
    await expect(p).rejects.toThrow(new DeliveryFailed('HTTP 503 (after 4 attempts)', 4))
    expect(calls).toBe(4)
    // 'equal' jitter with random 0 is the lower half: base * 2^n / 2
    expect(delays).toEqual([50, 100, 200])
  })

  test('jitter spreads delays within [d/2, d]', async () => {
    const delays: number[] = []
    await deliver(
      async (n) => {
        if (n < 1) throw new DeliveryError('HTTP 500', true, 500)
        return 'ok'
      },
      { ...policy, minDelayMs: 100, maxDelayMs: 1_000, random: () => 1 },
      (_e, _n, d) => delays.push(d)
    )
    expect(delays).toEqual([100])
  })

  test('a non-retryable error is not retried', async () => {
    let calls = 0
    await expect(
      deliver(async () => {
        calls++
        throw new DeliveryError('HTTP 404', false, 404)
      }, policy)
    ).rejects.toThrow('HTTP 404')
    expect(calls).toBe(1)
  })

  test('Retry-After is waited exactly when within the bound, and refused beyond it', async () => {
    const delays: number[] = []
    const r = await deliver(
      async (n) => {
        if (n === 0) throw new DeliveryError('HTTP 429', true, 429, 1_500)
        return 'ok'
      },
      policy,
      (_e, _n, d) => delays.push(d)
    )
    expect(r).toEqual({ value: 'ok', attempts: 2 })
    expect(delays).toEqual([1_500])
    await expect(
      deliver(async () => {
        throw new DeliveryError('HTTP 429', true, 429, 60_000)
      }, policy)
    ).rejects.toThrow('HTTP 429 (Retry-After 60 s exceeds the 2 s bound)')
  })

  test('parseRetryAfter reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3000)
    expect(parseRetryAfter('0.5')).toBe(500)
    const now = Date.parse('2026-11-23T18:00:00Z')
    expect(parseRetryAfter('Mon, 23 Nov 2026 18:00:10 GMT', now)).toBe(10_000)
    expect(parseRetryAfter('soon')).toBeUndefined()
    expect(httpError(503, 'x').retryable).toBe(true)
    expect(httpError(400, 'x').retryable).toBe(false)
    expect(httpError(429, '', '2').retryAfterMs).toBe(2000)
  })
})

describe('postJson', () => {
  test('a stalled server is cut at the timeout', async () => {
    const r = await receiver(() => new Promise(() => undefined))
    await expect(postJson(r.url, '{}', { timeoutMs: 200 })).rejects.toThrow(
      new DeliveryError('timed out after 200 ms', true)
    )
  })

  test('a refused connection names no URL', async () => {
    const url = `http://127.0.0.1:${await freePort()}/services/T000/B000/SECRETPART`
    const e = (await postJson(url, '{}', { timeoutMs: 2_000 }).catch((x: unknown) => x)) as DeliveryError
    expect(e.message).toBe('connection refused')
    expect(e.retryable).toBe(true)
  })

  test('an error body is reduced to one short line', async () => {
    const r = await receiver((_r, _n, res) => {
      res
        .writeHead(400, { 'content-type': 'text/html' })
        .end(`<html><body><h1>invalid_payload</h1>${'x'.repeat(500)}</body></html>`)
    })
    const e = (await postJson(r.url, '{}', { timeoutMs: 2_000 }).catch((x: unknown) => x)) as DeliveryError
    expect(e.message).toMatch(/^HTTP 400: invalid_payload x+\.\.\.$/)
    expect(e.message.length).toBeLessThan(220)
  })
})

describe('notifyAll', () => {
  test('every channel in parallel; one failing does not hold back or hide the others', async () => {
    const slack = await receiver()
    const teams = await receiver((_r, _n, res) => void res.writeHead(202).end())
    const discord = await receiver((_r, _n, res) => void res.writeHead(500).end('boom'))
    const hook = await receiver((_r, _n, res) => void res.writeHead(204).end())
    const results = await notifyAll(
      message,
      [slackWebhook(slack.url), teamsWebhook(teams.url), discordWebhook(discord.url), genericWebhook(hook.url, 'k')],
      { policy }
    )
    expect(sentOutput(results)).toEqual({
      slack: 'ok',
      teams: 'ok',
      discord: 'HTTP 500: boom (after 4 attempts)',
      webhook: 'ok'
    })
    expect(discord.received).toHaveLength(4)
    expect(checkSlackMessage(slack.received[0].json)).toEqual([])
    expect(checkTeamsEnvelope(teams.received[0].json)).toEqual([])
    expect(checkDiscordBody(discord.received[0].json)).toEqual([])
    expect(verifySignature(hook.received[0].text, hook.received[0].headers['x-gantry-signature'], 'k')).toBe(true)
  })

  test('the webhook keeps one delivery id across retries', async () => {
    const hook = await receiver((_r, n, res) => void res.writeHead(n < 3 ? 502 : 200).end())
    const [r] = await notifyAll(message, [genericWebhook(hook.url)], { policy })
    expect(r).toMatchObject({ ok: true, attempts: 3 })
    const ids = new Set(hook.received.map((x) => x.headers['x-gantry-delivery']))
    expect(ids.size).toBe(1)
    expect(hook.received[0].headers['x-gantry-signature']).toBeUndefined()
  })

  test("Discord's retry_after in the 429 body is honoured when the header is missing", async () => {
    const discord = await receiver((_r, n, res) => {
      if (n === 1)
        res
          .writeHead(429, { 'content-type': 'application/json' })
          .end('{"message":"You are being rate limited.","retry_after":0.25,"global":false}')
      else res.writeHead(204).end()
    })
    const retries: Array<[string, number]> = []
    const [r] = await notifyAll(message, [discordWebhook(discord.url)], {
      policy,
      onRetry: (_c, _m, _a, d) => retries.push([_c, d])
    })
    expect(r).toMatchObject({ ok: true, attempts: 2 })
    expect(retries).toEqual([['discord', 250]])
  })

  test('Slack Web API: post, then update the same message in place', async () => {
    const api = await startSlackApi('xoxb-test')
    open.push(api)
    const [posted] = await notifyAll(message, [slackApi({ token: 'xoxb-test', channel: 'C123', baseUrl: api.url })], {
      policy
    })
    expect(posted).toMatchObject({ ok: true, detail: 'chat.postMessage ok' })
    const ts = posted.slackTs!
    const done = buildMessage(
      { status: 'success', environment: 'staging' },
      contextFromEnv({ GITHUB_REPOSITORY: 'acme/shop' })
    )
    const [updated] = await notifyAll(done, [slackApi({ token: 'xoxb-test', channel: 'C123', ts, baseUrl: api.url })], {
      policy
    })
    expect(updated).toMatchObject({ ok: true, detail: 'chat.update ok', slackTs: ts })
    expect(api.problems).toEqual([])
    expect([...api.messages.keys()]).toEqual([ts])
    expect(api.messages.get(ts)).toMatchObject({ updates: 1, text: expect.stringContaining('Deployed acme/shop') })
  })

  test('Slack Web API errors are reported by name; only transient ones are retried', async () => {
    const api = await startSlackApi('xoxb-right')
    open.push(api)
    const [r] = await notifyAll(message, [slackApi({ token: 'xoxb-wrong', channel: 'C1', baseUrl: api.url })], {
      policy
    })
    expect(r).toMatchObject({ ok: false, detail: 'Slack error: invalid_auth', attempts: 1 })
    const [u] = await notifyAll(
      message,
      [slackApi({ token: 'xoxb-right', channel: 'C1', ts: '1.000001', baseUrl: api.url })],
      { policy }
    )
    // The message to update is gone: the result is posted as a new message rather than lost.
    expect(u).toMatchObject({ ok: true, detail: 'chat.update failed (message_not_found); posted a new message' })
    expect(api.calls.map((c) => c.path)).toEqual(['/api/chat.postMessage', '/api/chat.update', '/api/chat.postMessage'])
    expect(u.slackTs).toBe([...api.messages.keys()][0])
  })

  test('HTTPS_PROXY/HTTP_PROXY are honoured (self-hosted runners), loopback bypasses them', async () => {
    const target = await receiver(noContentReply)
    const port = new URL(target.url).port
    // A CONNECT proxy on 127.0.0.1 that records the tunnels it opens.
    const tunnels: string[] = []
    const proxy = createServer()
    proxy.on('connect', (req, socket, head) => {
      tunnels.push(req.url ?? '')
      const upstream = connect(Number(port), '127.0.0.1', () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        upstream.write(head)
        upstream.pipe(socket).pipe(upstream)
      })
      upstream.on('error', () => socket.destroy())
      socket.on('error', () => upstream.destroy())
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    open.push({
      close: () =>
        new Promise<void>((resolve) => {
          proxy.closeAllConnections()
          proxy.close(() => resolve())
        })
    })
    const saved = { ...process.env }
    process.env.HTTP_PROXY = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
    process.env.HTTPS_PROXY = process.env.HTTP_PROXY
    try {
      // 127.0.0.2 is loopback on Linux but not on the bypass list: it goes through the proxy.
      const viaProxy = await notifyAll(message, [genericWebhook(`http://127.0.0.2:${port}/hook`)], { policy })
      const direct = await notifyAll(message, [genericWebhook(target.url)], { policy })
      expect([viaProxy[0].ok, direct[0].ok]).toEqual([true, true])
    } finally {
      process.env = saved
    }
    expect(tunnels).toEqual([`127.0.0.2:${port}`])
    expect(target.received).toHaveLength(2)
  })
})
