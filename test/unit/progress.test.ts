// Progress lines (@gantry/core progress): a line per key on every change of state,
// and at least one every period while nothing changes; never a line per poll.
import { describe, expect, test } from '@jest/globals'
import { progress } from '@gantry/core'

function manual() {
  let t = 0
  let tick = () => undefined as void
  return {
    now: () => t,
    every: (fn: () => void) => {
      tick = fn
      return () => (tick = () => undefined)
    },
    advance(ms: number) {
      t += ms
      tick()
    }
  }
}

describe('progress', () => {
  test('a change prints at once; the same state again prints nothing until the period passes', () => {
    const out: string[] = []
    const clock = manual()
    const p = progress((l) => out.push(l), { periodMs: 10_000, now: clock.now, every: clock.every })
    for (let n = 1; n <= 100; n++) {
      p.update('http://a/healthz', 'failing: HTTP 503', `attempt ${n}`)
      clock.advance(50) // 100 polls in 5 s: no line but the first
    }
    expect(out).toEqual(['http://a/healthz: failing: HTTP 503 (attempt 1; 0.0 s elapsed)'])
    clock.advance(5_000) // 10 s since the last line: the latest detail, once
    expect(out.slice(1)).toEqual(['http://a/healthz: failing: HTTP 503 (attempt 100; 10.0 s elapsed)'])
    clock.advance(1_000)
    expect(out).toHaveLength(2)
    p.update('http://a/healthz', 'passing', 'attempt 101')
    p.update('http://b/healthz', 'failing: timeout', 'attempt 1')
    expect(out.slice(2)).toEqual([
      'http://a/healthz: passing (attempt 101; 11.0 s elapsed)',
      'http://b/healthz: failing: timeout (attempt 1; 11.0 s elapsed)'
    ])
    p.stop()
    clock.advance(60_000)
    expect(out).toHaveLength(4)
  })
})
