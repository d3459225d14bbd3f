import { afterEach, describe, expect, test } from '@jest/globals'
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  Semaphore,
  backoffDelay,
  clearSecrets,
  mapPool,
  maskSecret,
  redact,
  retry,
  table,
  writeReport
} from '@gantry/core'

describe('retry', () => {
  test('retries until success, with growing delays', async () => {
    const delays: number[] = []
    let calls = 0
    const v = await retry(
      async () => {
        if (++calls < 3) throw new Error('flaky')
        return 'ok'
      },
      { retries: 5, minDelay: 1, jitter: 'none', onRetry: (_e, _n, d) => delays.push(d) }
    )
    expect(v).toBe('ok')
    expect(calls).toBe(3)
    expect(delays).toEqual([1, 2])
  })
  test('gives up after retries and rethrows the last error', async () => {
    let calls = 0
    await expect(
      retry(
        async () => {
          calls++
          throw new Error(`fail ${calls}`)
        },
        { retries: 2, minDelay: 1 }
      )
    ).rejects.toThrow('fail 3')
  })
  test('a non-retryable error stops at once', async () => {
    let calls = 0
    await expect(
      retry(
        async () => {
          calls++
          throw new Error('400')
        },
        { retries: 5, minDelay: 1, retryable: () => false }
      )
    ).rejects.toThrow('400')
    expect(calls).toBe(1)
  })
  test('a server-given delay (Retry-After) is used, capped at maxDelay', async () => {
    const delays: number[] = []
    let calls = 0
    await retry(
      async () => {
        if (++calls < 3) throw new Error('429')
        return 1
      },
      { retries: 3, maxDelay: 5, retryable: () => 60_000, onRetry: (_e, _n, d) => delays.push(d) }
    )
    expect(delays).toEqual([5, 5])
  })
  test('jitter stays within its band', () => {
    for (const r of [0, 0.5, 0.999]) {
      const d = backoffDelay(3, { retries: 5, minDelay: 100, factor: 2, jitter: 'equal', random: () => r })
      expect(d).toBeGreaterThanOrEqual(400)
      expect(d).toBeLessThanOrEqual(800)
      const f = backoffDelay(3, { retries: 5, minDelay: 100, jitter: 'full', random: () => r })
      expect(f).toBeLessThanOrEqual(800)
    }
    expect(backoffDelay(30, { retries: 1, minDelay: 100, maxDelay: 1000, jitter: 'none' })).toBe(1000)
  })
})

describe('concurrency', () => {
  test('mapPool keeps order and never exceeds its width', async () => {
    let inFlight = 0
    let peak = 0
    const out = await mapPool([5, 1, 4, 2, 3, 6, 7], 3, async (x) => {
      peak = Math.max(peak, ++inFlight)
      await new Promise((r) => setImmediate(r))
      inFlight--
      return x * 10
    })
    expect(out).toEqual([50, 10, 40, 20, 30, 60, 70])
    expect(peak).toBe(3)
  })
  test('Semaphore bounds work that arrives over time', async () => {
    const sem = new Semaphore(2)
    let inFlight = 0
    let peak = 0
    await Promise.all(
      Array.from({ length: 6 }, () =>
        sem.with(async () => {
          peak = Math.max(peak, ++inFlight)
          await new Promise((r) => setImmediate(r))
          inFlight--
        })
      )
    )
    expect(peak).toBe(2)
  })
})

describe('masking and reports', () => {
  afterEach(() => clearSecrets())
  test('redact removes a secret and the secret parts of a webhook URL', () => {
    maskSecret('https://hooks.slack.com/services/T000/B000/XXXXSECRET')
    expect(redact('posting to https://hooks.slack.com/services/T000/B000/XXXXSECRET now')).toBe('posting to *** now')
    expect(redact('path /services/T000/B000/XXXXSECRET leaked')).toBe('path *** leaked')
  })
  test('reports carry schema 1 and are redacted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-report-'))
    process.env.RUNNER_TEMP = dir
    maskSecret('tok-123456')
    const path = await writeReport('notify', new Date(Date.now() - 5), true, { token: 'tok-123456', n: 1 })
    const data = JSON.parse(readFileSync(path, 'utf8'))
    expect(data).toMatchObject({ schema: 1, action: 'notify', ok: true, token: '***', n: 1 })
    expect(data.durationMs).toBeGreaterThanOrEqual(0)
    expect(readdirSync(join(dir, 'gantry')).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })
  test('markdown tables escape pipes and newlines', () => {
    expect(table(['a', 'b'], [['x|y', 'line1\nline2']])).toBe('| a | b |\n| --- | --- |\n| x\\|y | line1 line2 |')
  })
})
