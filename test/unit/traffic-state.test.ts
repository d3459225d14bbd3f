import { describe, expect, test } from '@jest/globals'
import {
  MAX_CHANGES,
  currentWeights,
  emptyTraffic,
  idleSlot,
  parseTraffic,
  previousWeights,
  withChange,
  type TrafficChange
} from '@gantry/release'

const change = (weights: Record<string, number>, previous: Record<string, number>): TrafficChange => ({
  at: '2026-01-01T00:00:00.000Z',
  router: 'haproxy',
  upstream: 'app',
  weights,
  previous
})

describe('traffic history', () => {
  test('weights: previous applied as a new change toggles back when applied again', () => {
    let h = withChange(emptyTraffic(), change({ blue: 100, green: 0 }, {}))
    h = withChange(h, change({ blue: 0, green: 100 }, currentWeights(h)!))
    const back = previousWeights(h)!
    expect(back).toEqual({ blue: 100, green: 0 })
    h = withChange(h, change(back, currentWeights(h)!))
    expect(previousWeights(h)).toEqual({ blue: 0, green: 100 })
  })

  test('idle is the one slot at 0%; none recorded, none idle or two idle is an error naming the weights', () => {
    expect(() => idleSlot(emptyTraffic())).toThrow(/no traffic has been recorded/)
    expect(idleSlot(withChange(emptyTraffic(), change({ blue: 100, green: 0 }, {})))).toBe('green')
    expect(() => idleSlot(withChange(emptyTraffic(), change({ blue: 50, green: 50 }, {})))).toThrow(/blue=50,green=50/)
    expect(() => idleSlot(withChange(emptyTraffic(), change({ a: 0, b: 0, c: 100 }, {})))).toThrow(/exactly one/)
  })

  test('the file keeps the newest MAX_CHANGES changes', () => {
    let h = emptyTraffic()
    for (let n = 0; n < MAX_CHANGES + 3; n++) h = withChange(h, change({ blue: n % 101 }, {}))
    expect(h.changes).toHaveLength(MAX_CHANGES)
    expect(h.changes.at(-1)!.weights.blue).toBe((MAX_CHANGES + 2) % 101)
  })

  test('a file that is not JSON or not a traffic history is refused with what to do', () => {
    expect(() => parseTraffic('{')).toThrow(/not JSON.*fix or remove it/)
    expect(() => parseTraffic('{"version":2,"changes":[]}')).toThrow(/not a Gantry traffic history/)
    expect(() => parseTraffic('{"version":1,"changes":[{"at":"x","weights":{"a":200},"previous":{}}]}')).toThrow(
      /change 1/
    )
  })
})
