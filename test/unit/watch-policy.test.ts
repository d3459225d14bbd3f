// auto-rollback's watch and health-gate judge the same responses alike: one
// health policy (@gantry/probe), one wording. Each case is answered by a real
// local server, probed once by the gate's sample and once by the watch.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { StatusSet } from '@gantry/core'
import {
  ProbeClient,
  evaluate,
  sample,
  sampleFailure,
  type Expectation,
  type HealthPolicy,
  type HealthSample
} from '@gantry/probe'
import { judge, watch } from '@gantry/release'
import { startServer, type TestServer } from '../helpers/http.js'

const expectation: Expectation = { status: StatusSet.parse('200-299'), body: /"status":"ok"/ }
// The policy as health-gate builds it for its sample (gate.ts).
const gatePolicy = (maxErrorRate: number): HealthPolicy => ({
  expectStatus: (s) => expectation.status.has(s),
  body: expectation.body,
  maxErrorRate,
  maxLatencyRatio: 2
})

let server: TestServer
beforeAll(async () => {
  server = await startServer((req, res) => {
    if (req.url === '/hang') return // never answers: the probe times out
    res.statusCode = req.url === '/wrong-status' ? 503 : 200
    res.end(req.url === '/wrong-body' ? '{"status":"degraded"}' : '{"status":"ok"}')
  })
})
afterAll(() => server.close())

/** One request through health-gate's sample: the sample the policy judges. */
async function gateSample(path: string, count = 1): Promise<HealthSample[]> {
  const client = new ProbeClient()
  try {
    return (await sample(client, { url: `${server.url}${path}`, timeoutMs: 1000 }, expectation, count, 1)).window
  } finally {
    await client.close()
  }
}

const cases: Array<[string, string, string]> = [
  ['a status outside expect-status', '/wrong-status', 'status 503'],
  ['a body that fails expect-body', '/wrong-body', 'body did not match /"status":"ok"/'],
  ['a timeout', '/hang', 'timeout']
]

describe('the watch fails a probe as health-gate fails a sample request', () => {
  test.each(cases)('%s', async (_name, path, reason) => {
    const [gate] = await gateSample(path)
    expect(sampleFailure(gate!, gatePolicy(0))).toBe(reason)
    // One failed probe is a breach at unhealthy-threshold 1; its reason is the gate's.
    const w = await watch({
      urls: [new URL(`${server.url}${path}`)],
      expect: expectation,
      durationMs: 1000,
      intervalMs: 1000,
      unhealthyThreshold: 1,
      maxLatencyRatio: 2
    })
    expect(w.breach).toBe(`1 consecutive failed probes (last: ${reason})`)
    expect(w.recent.map((p) => [p.ok, p.reason])).toEqual([[false, reason]])
  })

  test('a response that meets the expectation passes both', async () => {
    const [gate] = await gateSample('/ok')
    expect(sampleFailure(gate!, gatePolicy(0))).toBeUndefined()
    expect(judge([gate!], 0, { unhealthyThreshold: 1, maxLatencyRatio: 2, expect: expectation }, true)).toBeUndefined()
  })
})

describe("the watch's window verdict is the gate's for the same samples", () => {
  test.each(cases)('%s among passes', async (_name, path, reason) => {
    const window = [...(await gateSample('/ok', 4)), ...(await gateSample(path))]
    const gate = evaluate(window, gatePolicy(0.1))
    expect(gate[0]).toBe(`error rate 20% > max-error-rate 10% (1× ${reason})`)
    const cfg = { unhealthyThreshold: 3, maxErrorRate: 0.1, maxLatencyRatio: 2, expect: expectation }
    expect(judge(window, 1, cfg, false)).toBe(gate[0])
  })
})
