// The canary's orchestration with fakes (a clock that advances as it waits, a
// scripted source and judge): the order of weight changes, extensions, the
// guard, on-inconclusive, and the promotion.
import { describe, expect, test } from '@jest/globals'
import { parseSteps, runCanary, StepsError, type CanaryDeps, type Judgement, type WindowData } from '@gantry/canary'
import type { HealthSample } from '@gantry/probe'

const settings = {
  baseline: 'blue',
  canary: 'green',
  steps: [10, 50, 100],
  bakeMs: 10_000,
  guardIntervalMs: 5_000,
  maxExtensions: 2,
  onInconclusive: 'extend' as const
}

function world(verdicts: Judgement['verdict'][], recent: HealthSample[][] = []) {
  let t = 0
  const applied: Array<Record<string, number>> = []
  const windows: number[] = []
  const judged: WindowData[] = []
  let guardCalls = 0
  const deps: CanaryDeps = {
    apply: async (w) => void applied.push(w),
    source: {
      name: 'fake',
      metrics: [],
      begin: (ms) => {
        windows.push(ms)
        return {
          recent: () => recent[guardCalls] ?? [],
          end: async () => ({
            latency: { baseline: { kind: 'values', values: [1] }, canary: { kind: 'values', values: [2] } }
          }),
          cancel: () => undefined
        }
      },
      close: async () => undefined
    },
    judge: (data) => {
      judged.push(data)
      const verdict = verdicts.shift() ?? 'pass'
      return { verdict, score: verdict === 'pass' ? 100 : verdict === 'fail' ? 0 : 80, metrics: [] }
    },
    guard: (r) => (guardCalls++, r.some((x) => x.status === 500) ? ['500 from the canary'] : []),
    wait: async (ms) => void (t += ms),
    now: () => t,
    log: () => undefined
  }
  return { deps, applied, windows, judged, time: () => t, guardCalls: () => guardCalls }
}

describe('runCanary', () => {
  test('every judged step passes: the weights go 10, 50, then 100 (the promotion, not judged)', async () => {
    const w = world(['pass', 'pass'])
    const r = await runCanary(settings, w.deps)
    expect(r.verdict).toBe('promoted')
    expect(w.applied).toEqual([
      { blue: 90, green: 10 },
      { blue: 50, green: 50 },
      { blue: 0, green: 100 }
    ])
    expect(w.judged).toHaveLength(2)
    // Each bake is watched by the guard every guard interval: 2 per 10 s bake.
    expect(w.guardCalls()).toBe(4)
    expect(w.time()).toBe(20_000)
    expect(r.steps.map((s) => s.outcome)).toEqual(['passed', 'passed', 'promoted'])
  })

  test('a failed judgement aborts at once: all traffic back to the baseline, the step named', async () => {
    const w = world(['pass', 'fail'])
    const r = await runCanary(settings, w.deps)
    expect(r).toMatchObject({ verdict: 'aborted', failedStep: 2, score: 0 })
    expect(w.applied.at(-1)).toEqual({ blue: 100, green: 0 })
    expect(r.reason).toMatch(/^step 2 \(50%\) failed its judgement/)
    expect(r.abortMs).toBe(0)
  })

  test('inconclusive extends the bake and the points add up; passing on an extension goes on', async () => {
    const w = world(['inconclusive', 'inconclusive', 'pass', 'pass'])
    const r = await runCanary(settings, w.deps)
    expect(r.verdict).toBe('promoted')
    expect(w.windows).toEqual([10_000, 10_000, 10_000, 10_000])
    // The third judgement of step 1 saw three windows' points together.
    const third = w.judged[2].latency
    expect(third.baseline).toEqual({ kind: 'values', values: [1, 1, 1] })
    expect(r.steps[0].judgements.map((j) => j.window)).toEqual([0, 1, 2])
  })

  test('inconclusive after max-extensions: extend ends inconclusive, fail aborts, pass goes on and says so', async () => {
    const ext = world(['inconclusive', 'inconclusive', 'inconclusive'])
    const r1 = await runCanary(settings, ext.deps)
    expect(r1).toMatchObject({ verdict: 'inconclusive', failedStep: 1 })
    expect(ext.applied.at(-1)).toEqual({ blue: 100, green: 0 })
    expect(r1.reason).toMatch(/stayed inconclusive after 2 extension\(s\)/)

    const fail = world(['inconclusive'])
    const r2 = await runCanary({ ...settings, maxExtensions: 0, onInconclusive: 'fail' }, fail.deps)
    expect(r2).toMatchObject({ verdict: 'aborted', failedStep: 1 })

    const pass = world(['inconclusive', 'pass'])
    const r3 = await runCanary({ ...settings, maxExtensions: 0, onInconclusive: 'pass' }, pass.deps)
    expect(r3.verdict).toBe('promoted')
    expect(r3.steps[0].outcome).toBe('passed-inconclusive')
  })

  test('the guard trips within one guard interval of the canary failing: aborted before the judgement', async () => {
    const w = world(['pass'], [[], [{ status: 500, latencyMs: 1 }]])
    const r = await runCanary(settings, w.deps)
    expect(r).toMatchObject({ verdict: 'aborted', failedStep: 1 })
    expect(r.steps[0].outcome).toBe('guard')
    expect(r.reason).toMatch(/the guard tripped: 500 from the canary/)
    expect(w.judged).toHaveLength(0)
    expect(w.time()).toBe(10_000)
    expect(w.applied).toEqual([
      { blue: 90, green: 10 },
      { blue: 100, green: 0 }
    ])
  })
})

describe('parseSteps', () => {
  test('percentages that increase and end at 100', () => {
    expect(parseSteps('10%,25%,50%,100%')).toEqual([10, 25, 50, 100])
    expect(parseSteps('5\n100')).toEqual([5, 100])
    expect(parseSteps('100%')).toEqual([100])
  })
  test.each([
    ['10%,5%,100%', /5% comes after 10%/],
    ['10%,50%', /the last is 50%/],
    ['0%,100%', /'0%' is not a percentage from 1 to 100/],
    ['10%,10%,100%', /10% comes after 10%/],
    ['ten,100', /'ten' is not/],
    ['', /expected percentages/]
  ])('%s is refused', (text, message) => {
    expect(() => parseSteps(text)).toThrow(StepsError)
    expect(() => parseSteps(text)).toThrow(message)
  })
})
