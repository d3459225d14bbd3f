import { describe, expect, test } from '@jest/globals'
import { sendFollowing, type HttpClient, type ProbeRequest, type ProbeResponse } from '@gantry/probe'

/** A fake client answering from a table of URL → [status, location]. */
function fake(routes: Record<string, [number, string?]>): { client: HttpClient; seen: ProbeRequest[] } {
  const seen: ProbeRequest[] = []
  const client: HttpClient = {
    async send(req): Promise<ProbeResponse> {
      seen.push(req)
      const [status, location] = routes[String(req.url)] ?? [404]
      return { status, headers: location ? { location } : {}, body: '', latencyMs: 1 }
    },
    close: async () => undefined
  }
  return { client, seen }
}

describe('the gate follows redirects as fetch does', () => {
  test('303 continues with GET and no body; credentials stay on their origin', async () => {
    const { client, seen } = fake({
      'http://a.test/login': [303, '/done'],
      'http://a.test/done': [302, 'http://b.test/x'],
      'http://b.test/x': [200]
    })
    const r = await sendFollowing(client, {
      url: 'http://a.test/login',
      method: 'POST',
      body: 'x=1',
      headers: [
        ['Authorization', 'Bearer t'],
        ['Cookie', 'c=1'],
        ['X-Trace', '1']
      ],
      timeoutMs: 1000
    })
    expect(r.status).toBe(200)
    expect(seen.map((s) => [String(s.url), s.method, s.body])).toEqual([
      ['http://a.test/login', 'POST', 'x=1'],
      ['http://a.test/done', 'GET', undefined],
      ['http://b.test/x', 'GET', undefined]
    ])
    expect(seen[1]?.headers).toEqual([
      ['Authorization', 'Bearer t'],
      ['Cookie', 'c=1'],
      ['X-Trace', '1']
    ])
    expect(seen[2]?.headers).toEqual([['X-Trace', '1']])
  })

  test('307 keeps the method and body; a 3xx without Location is judged as it is', async () => {
    const { client, seen } = fake({ 'http://a.test/p': [307, '/q'], 'http://a.test/q': [304] })
    const r = await sendFollowing(client, { url: 'http://a.test/p', method: 'PUT', body: 'b', timeoutMs: 1000 })
    expect(r.status).toBe(304)
    expect(seen[1]).toMatchObject({ method: 'PUT', body: 'b' })
  })

  test('a loop and a sixth redirect fail with kind redirect; query strings are not shown', async () => {
    const loop = fake({ 'http://a.test/a?token=s3cret': [301, '/b'], 'http://a.test/b': [301, '/a?token=s3cret'] })
    const r = await sendFollowing(loop.client, { url: 'http://a.test/a?token=s3cret', timeoutMs: 1000 })
    expect(r.error).toEqual({
      kind: 'redirect',
      message: 'redirect loop: http://a.test/a → http://a.test/b → http://a.test/a'
    })
    expect(r.status).toBeUndefined()
    const chain: Record<string, [number, string?]> = {}
    for (let i = 0; i < 7; i++) chain[`http://a.test/${i}`] = [308, `/${i + 1}`]
    const six = await sendFollowing(fake(chain).client, { url: 'http://a.test/0', timeoutMs: 1000 })
    expect(six.error?.message).toBe(
      'more than 5 redirects: http://a.test/0 → http://a.test/1 → http://a.test/2 → http://a.test/3 → http://a.test/4 → http://a.test/5 → http://a.test/6'
    )
  })
})
