import { describe, expect, test } from '@jest/globals'
import { mapPool, mapPoolSettled, sleep } from '@gantry/core'

/** fn over items, recording the most calls in flight at once. */
function tracked(ms: (n: number) => number, fail?: (n: number) => boolean) {
  let active = 0
  const seen = { max: 0, started: [] as number[] }
  const fn = async (n: number) => {
    seen.started.push(n)
    seen.max = Math.max(seen.max, ++active)
    await sleep(ms(n))
    active--
    if (fail?.(n)) throw new Error(`item ${n} failed`)
    return n * 10
  }
  return { fn, seen }
}

describe('mapPool', () => {
  test('at most `concurrency` calls at once, results in input order', async () => {
    const { fn, seen } = tracked((n) => (n % 3) * 5)
    await expect(mapPool([1, 2, 3, 4, 5, 6, 7], 3, fn)).resolves.toEqual([10, 20, 30, 40, 50, 60, 70])
    expect(seen.max).toBe(3)
  })
})

describe('mapPoolSettled', () => {
  test('every call settles, in input order, whatever fails; the bound holds', async () => {
    const { fn, seen } = tracked(
      (n) => (n === 1 ? 1 : 10),
      (n) => n === 1 || n === 4
    )
    const r = await mapPoolSettled([1, 2, 3, 4, 5], 2, fn)
    expect(r.map((x) => x.status)).toEqual(['rejected', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled'])
    expect(r[1]).toEqual({ status: 'fulfilled', value: 20 })
    expect((r[3] as PromiseRejectedResult).reason).toEqual(new Error('item 4 failed'))
    // The early failure did not stop the items after it.
    expect(seen.started.sort()).toEqual([1, 2, 3, 4, 5])
    expect(seen.max).toBe(2)
  })

  test('a function that throws before its first await is a rejection too', async () => {
    const r = await mapPoolSettled([1, 2], 4, (n) => {
      if (n === 1) throw new Error('sync')
      return Promise.resolve(n)
    })
    expect(r).toEqual([
      { status: 'rejected', reason: new Error('sync') },
      { status: 'fulfilled', value: 2 }
    ])
  })

  test('no items: no calls', async () => {
    await expect(mapPoolSettled([], 4, () => Promise.reject(new Error('never')))).resolves.toEqual([])
  })
})
