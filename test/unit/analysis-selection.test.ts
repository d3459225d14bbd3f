// The Hodges-Lehmann selection (never an m·n array) against the plain
// reference that materialises every difference, on random samples.
import { describe, expect, test } from '@jest/globals'
import { exactCdf, hodgesLehmann, kthSmallestDifference } from '@gantry/analysis'
import { allDifferences, referenceKth, referenceMedianDifference, rng } from '../helpers/analysis-reference.js'

const draw = (r: () => number, n: number, kind: number): number[] =>
  Array.from({ length: n }, () =>
    kind === 0 ? Math.exp(r()) * 100 : kind === 1 ? Math.floor(r() * 6) : kind === 2 ? 7 : r() * 1e-3 - 0.5
  )

describe('kth difference by selection', () => {
  test('agrees with the sorted materialised differences on 300 random pairs, every rank of the small ones', () => {
    const r = rng(1234)
    for (let t = 0; t < 300; t++) {
      const m = 1 + Math.floor(r() * (t < 150 ? 12 : 300))
      const n = 1 + Math.floor(r() * (t < 150 ? 12 : 300))
      const x = draw(r, m, t % 4)
      const y = draw(r, n, (t >> 2) % 4)
      const d = allDifferences(x, y)
      const ks =
        m * n <= 144
          ? d.map((_, i) => i + 1)
          : [1, m * n, ...Array.from({ length: 20 }, () => 1 + Math.floor(r() * m * n))]
      expect([t, ks.map((k) => kthSmallestDifference(x, y, k))]).toEqual([t, ks.map((k) => d[k - 1])])
      expect([t, hodgesLehmann(x, y, 0.95).shift]).toEqual([t, referenceMedianDifference(x, y)])
    }
  })

  test('large samples beyond the direct sort (100 000 differences and more) agree with the reference', () => {
    const r = rng(99)
    const x = draw(r, 700, 0)
    const y = draw(r, 400, 1).map((v) => v * 50)
    for (const k of [1, 2, 1000, 139_999, 140_000, 279_999, 280_000])
      expect([k, kthSmallestDifference(x, y, k)]).toEqual([k, referenceKth(x, y, k)])
  })

  test('a rank outside 1…mn is refused', () => {
    expect(() => kthSmallestDifference([1, 2], [3], 3)).toThrow(RangeError)
    expect(() => kthSmallestDifference([1, 2], [3], 0)).toThrow(RangeError)
  })
})

describe('exact Mann-Whitney distribution', () => {
  /** P(U ≤ k) by enumerating every split of m + n ranks (tiny samples). */
  function enumerated(m: number, n: number): number[] {
    const counts = new Array(m * n + 1).fill(0)
    const walk = (left: number, pos: number, chosenBelow: number, u: number): void => {
      // pos: ranks placed; each y placed after some x adds nothing; each x adds the number of y before it
      if (pos === m + n) {
        if (left === 0) counts[u]++
        return
      }
      const ysBefore = pos - chosenBelow
      if (left > 0) walk(left - 1, pos + 1, chosenBelow + 1, u + ysBefore)
      if (pos - chosenBelow < n) walk(left, pos + 1, chosenBelow, u)
    }
    walk(m, 0, 0, 0)
    const total = counts.reduce((a, b) => a + b, 0)
    let acc = 0
    return counts.map((c) => (acc += c) / total)
  }

  test('P(U ≤ k) matches full enumeration for every k, m, n up to 7', () => {
    for (let m = 1; m <= 7; m++)
      for (let n = 1; n <= 7; n++) {
        const want = enumerated(m, n)
        for (let k = -1; k <= m * n; k++)
          expect(Math.abs(exactCdf(k, m, n) - (k < 0 ? 0 : want[k]))).toBeLessThan(1e-14)
      }
  })
})
