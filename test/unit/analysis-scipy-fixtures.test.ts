// @gantry/analysis against SciPy 1.10's answers recorded in
// test/fixtures/analysis/scipy.json (made by generate.py beside it).
import { readFileSync } from 'node:fs'
import { describe, expect, test } from '@jest/globals'
import { checkAgainstScipy, type ScipyFixture } from '../helpers/analysis-reference.js'
import { intervalRanks } from '../../packages/analysis/src/hodges-lehmann.js'

const doc = JSON.parse(
  readFileSync(new URL('../fixtures/analysis/scipy.json', import.meta.url), 'utf8')
) as ScipyFixture

describe('analysis against the recorded SciPy answers', () => {
  test('the fixture covers what it should', () => {
    const m = doc.mannWhitney
    expect(m.length).toBeGreaterThanOrEqual(300)
    for (const alt of ['two-sided', 'less', 'greater']) expect(m.some((c) => c.alternative === alt)).toBe(true)
    expect(m.some((c) => c.method === 'auto' && c.chosen === 'exact')).toBe(true)
    expect(m.some((c) => c.method === 'auto' && c.chosen === 'asymptotic')).toBe(true)
    expect(m.some((c) => c.x.length === 1 || c.y.length === 1)).toBe(true)
    expect(m.some((c) => Math.max(c.x.length, c.y.length) === 10000)).toBe(true)
    expect(m.some((c) => new Set(c.x).size === 1 && new Set(c.y).size === 1)).toBe(true)
    expect(doc.fisher.length).toBeGreaterThanOrEqual(100)
  })

  test('U, p, the method auto chooses, the Hodges-Lehmann shift and interval, and Fisher p all agree', () => {
    const n = checkAgainstScipy(doc)
    expect(n.hl).toBeGreaterThanOrEqual(100)
  })

  test('the interval ranks and z are those the generator computed', () => {
    for (const c of doc.mannWhitney) {
      if (!c.hl) continue
      const r = intervalRanks(Float64Array.from(c.x).sort(), Float64Array.from(c.y).sort(), c.hl.confidence)
      expect([r.kLower, r.kUpper]).toEqual([c.hl.kLower, c.hl.kUpper])
      expect(Math.abs(r.z - c.hl.z)).toBeLessThan(1e-12)
      expect(Math.abs(r.sigma - c.hl.sigma)).toBeLessThanOrEqual(1e-9 * c.hl.sigma)
    }
  })
})
