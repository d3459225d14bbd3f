// health-gate's progress lines through the bundle: each URL's state when it
// changes (and at least every 10 s, which the unit test of the progress module
// covers with a clock of its own), never a line per poll.
import { afterEach, expect, test } from '@jest/globals'
import { runAction } from '../harness/runner.mjs'
import { startServer, type TestServer } from '../helpers/http.js'

let s: TestServer | undefined
afterEach(async () => {
  await s?.close()
})

test('40 failing polls then passes: one line for the failures, one when it passes, one when sampling starts', async () => {
  s = await startServer((_req, res, hit) => {
    res.statusCode = hit <= 40 ? 503 : 200
    res.end()
  })
  const url = `${s.url}/healthz`
  const r = await runAction('health-gate', {
    inputs: { url, interval: '20ms', 'max-wait': '20s', timeout: '1s', samples: '5' }
  })
  expect(r.code).toBe(0)
  const progress = r.stdout.split('\n').filter((l) => l.startsWith(`${url}: `))
  // A line per change of state; a periodic repeat only if this machine took 10 s, which the bound allows.
  const states = [...new Set(progress.map((l) => l.replace(/ \([^()]*elapsed\)$/, '')))]
  expect(states).toEqual([
    `${url}: failing: status 503 (expected 200-399)`,
    `${url}: passing`,
    `${url}: healthy, sampling`
  ])
  expect(progress.length).toBeLessThanOrEqual(states.length + 2)
  expect(progress[0]).toMatch(/\(attempt 1; \d+\.\d s elapsed\)$/)
})
