// Plain reference implementations for @gantry/analysis's tests: they
// materialise the m·n differences (small samples only) where the package
// selects without them, and a shared comparison of SciPy's answers.
import { hodgesLehmann, mannWhitneyU, fisherExact } from '@gantry/analysis'
import type { Alternative, MannWhitneyMethod } from '@gantry/analysis'
import { expect } from '@jest/globals'

/** Every difference x_i − y_j, sorted. */
export function allDifferences(x: readonly number[], y: readonly number[]): Float64Array {
  const d = new Float64Array(x.length * y.length)
  let at = 0
  for (const a of x) for (const b of y) d[at++] = a - b
  return d.sort()
}

export function referenceKth(x: readonly number[], y: readonly number[], k: number): number {
  return allDifferences(x, y)[k - 1]
}

export function referenceMedianDifference(x: readonly number[], y: readonly number[]): number {
  const d = allDifferences(x, y)
  const h = d.length >> 1
  return d.length % 2 ? d[h] : (d[h - 1] + d[h]) / 2
}

/** Within 1e-12 absolute or 1e-9 relative. */
export function expectClose(actual: number, expected: number, what: string): void {
  const ok =
    actual === expected ||
    Math.abs(actual - expected) <= 1e-12 ||
    Math.abs(actual - expected) <= 1e-9 * Math.abs(expected)
  if (!ok) throw new Error(`${what}: got ${actual}, SciPy ${expected} (difference ${actual - expected})`)
}

/** A seeded generator (mulberry32), so a failing random case can be rerun. */
export function rng(seed: number): () => number {
  let s = seed | 0
  return () => {
    s = (s + 0x6d2b79f5) | 0
    let t = Math.imul(s ^ (s >>> 15), 1 | s)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface MwuCase {
  x: number[]
  y: number[]
  alternative: Alternative
  method: MannWhitneyMethod
  chosen: 'exact' | 'asymptotic'
  u: number
  p: number
  hl?: {
    confidence: number
    shift: number
    lower: number
    upper: number
    kLower: number
    kUpper: number
    z: number
    sigma: number
  }
}

export interface FisherCase {
  table: [number, number, number, number]
  alternative: Alternative
  p: number
  oddsRatio: number | 'Infinity' | null
}

export interface ScipyFixture {
  scipy: string
  mannWhitney: MwuCase[]
  fisher: FisherCase[]
}

const label = (c: MwuCase, i: number): string =>
  `case ${i} (n ${c.x.length}×${c.y.length}, ${c.alternative}, ${c.method})`

/** Checks the package against every SciPy answer of a fixture (the committed one or a live one). */
export function checkAgainstScipy(doc: ScipyFixture): { mwu: number; hl: number; fisher: number } {
  let hl = 0
  doc.mannWhitney.forEach((c, i) => {
    const r = mannWhitneyU(c.x, c.y, { alternative: c.alternative, method: c.method })
    expect(`${label(c, i)} ${r.method}`).toBe(`${label(c, i)} ${c.chosen}`)
    expectClose(r.u, c.u, `${label(c, i)} U`)
    expectClose(r.p, c.p, `${label(c, i)} p`)
    if (c.hl) {
      hl++
      const h = hodgesLehmann(c.x, c.y, c.hl.confidence)
      expect({ case: i, ...h }).toEqual({ case: i, shift: c.hl.shift, lower: c.hl.lower, upper: c.hl.upper })
    }
  })
  doc.fisher.forEach((c, i) => {
    const r = fisherExact(...c.table, c.alternative)
    const what = `fisher case ${i} ${JSON.stringify(c.table)} ${c.alternative}`
    expectClose(r.p, c.p, `${what} p`)
    const odds = c.oddsRatio === null ? NaN : c.oddsRatio === 'Infinity' ? Infinity : c.oddsRatio
    if (Number.isFinite(odds)) expectClose(r.oddsRatio, odds, `${what} odds ratio`)
    else expect(`${what} ${r.oddsRatio}`).toBe(`${what} ${odds}`)
  })
  return { mwu: doc.mannWhitney.length, hl, fisher: doc.fisher.length }
}
