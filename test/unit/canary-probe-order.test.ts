// The probe source's pairs: which variant is sent first alternates pair by pair (the second
// request of a pair starts its clock later and is read later, a bias of its own), and every answer
// is still counted for the variant it came from.
import { describe, expect, test } from '@jest/globals'
import { probeSource } from '@gantry/canary'
import type { HttpClient, ProbeRequest, ProbeResponse } from '@gantry/probe'

describe('probe source pairs', () => {
  test('alternate which variant goes first, and keep each answer with its variant', async () => {
    const order: string[] = []
    // A client whose answers depend only on the position in the pair: the first one sent is slower.
    let inPair = 0
    const client: HttpClient = {
      async send(r: ProbeRequest): Promise<ProbeResponse> {
        const host = new URL(r.url).hostname
        order.push(host === 'baseline.test' ? 'b' : 'c')
        const first = inPair++ % 2 === 0
        return {
          status: host === 'baseline.test' ? 200 : 503,
          headers: {},
          body: '',
          latencyMs: first ? 2 : 1
        }
      },
      close: async () => undefined
    }
    const source = probeSource({
      baselineUrl: new URL('http://baseline.test/'),
      canaryUrl: new URL('http://canary.test/'),
      requests: 6,
      timeoutMs: 1000,
      client
    })
    const data = await source.begin(30, new AbortController().signal).end()
    expect(order).toEqual(['b', 'c', 'c', 'b', 'b', 'c', 'c', 'b', 'b', 'c', 'c', 'b'])
    // Each variant went first in half of the pairs: the position's effect is the same for both.
    const values = (v: 'baseline' | 'canary') => (data.latency[v] as { values: number[] }).values
    expect(values('baseline')).toEqual([2, 1, 2, 1, 2, 1])
    expect(values('canary')).toEqual([1, 2, 1, 2, 1, 2])
    // The canary's 503s stay the canary's.
    expect(data['error-rate']).toEqual({
      baseline: { kind: 'count', events: 0, total: 6 },
      canary: { kind: 'count', events: 6, total: 6 }
    })
  })
})
