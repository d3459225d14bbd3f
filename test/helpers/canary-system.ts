// The canary system tests' scenarios, one set per router (test/system/canary-haproxy.test.ts,
// canary-nginx.test.ts): the canary action's bundle, as the runner runs it, with the probe source
// against two real app instances (slots/blue, the baseline, and slots/green, the canary; each told
// its delay and error share through /__behave), while autocannon loads the router in front of
// them, so every weight change of the canary happens under traffic. The router's weights are read
// from the router itself (HAProxy's `show servers state`, nginx's include), and what the apps
// answer through the router is counted by the apps.
import { afterAll, beforeAll, beforeEach, describe, expect, jest, test } from '@jest/globals'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAction } from '../harness/runner.mjs'
import { requests, resets, startApp, underLoad, type App, type LoadResult } from './traffic.js'

export interface CanaryRouter {
  /** The router's inputs for the action (router, upstream, servers, router-*). */
  inputs: Record<string, string>
  /** The front end, for the load. */
  url: string
  /** The router's weights in percent, read from the router (not from Gantry's history). */
  weights(): Promise<Record<string, number>>
  /** What the router may fail during the canary's weight changes, as the traffic action allows it. */
  failures(l: LoadResult): Record<string, number>
  stop(): Promise<void>
}

export interface CanaryReport {
  verdict: string
  failedStep: number | null
  abortMs: number | null
  steps: Array<{
    outcome: string
    weight: number
    startedAt: number
    judgements: Array<{
      verdict: string
      score: number
      metrics: Array<{
        name: string
        classification: string
        baseline: { n: number; events?: number; median?: number }
        canary: { n: number; events?: number; median?: number }
      }>
    }>
    guard?: string[]
  }>
  changes: Array<{ at: string; weights: Record<string, number>; reason?: string }>
}

/** Connections of the load through the router (keep-alive), as the traffic system tests use. */
const CONNECTIONS = 16

/**
 * The apps' latency varies as real latency does (lognormal, this σ, as the analysis bench
 * simulates): with near-constant answers the judge would be testing the machine's scheduling noise.
 */
const SPREAD = 0.3

/** One line per scenario, gathered for the log (abort times, the load's failures). */
const measured: string[] = []

export function canaryScenarios(name: string, start: (root: string, blue: App, green: App) => Promise<CanaryRouter>) {
  jest.setTimeout(120_000)
  let root: string
  let blue: App
  let green: App
  let router: CanaryRouter
  let n = 0

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), `gantry-canary-${name}-`))
    blue = await startApp(root, 'blue')
    green = await startApp(root, 'green')
    router = await start(root, blue, green)
  }, 30_000)

  afterAll(async () => {
    console.log(`canary through ${name}, under ${CONNECTIONS}-connection load:\n${measured.join('\n')}`)
    await router?.stop()
    await blue?.stop()
    await green?.stop()
    rmSync(root, { recursive: true, force: true })
  })

  beforeEach(async () => {
    await Promise.all([blue.behave({}), green.behave({})])
  })

  /** The canary action's bundle, under load through the router for as long as it runs. */
  async function canary(what: string, inputs: Record<string, string>) {
    const path = join(root, `app-${++n}`)
    let ms = 0
    const { load, value: r } = await underLoad(`${router.url}/`, CONNECTIONS, async () => {
      const t0 = performance.now()
      const step = await runAction('canary', {
        inputs: {
          ...router.inputs,
          'baseline-server': 'blue',
          'canary-server': 'green',
          'baseline-url': `http://${blue.address}/`,
          'canary-url': `http://${green.address}/`,
          steps: '10%,50%,100%',
          bake: '1s',
          requests: '100',
          'min-samples': '50',
          'guard-interval': '500ms',
          timeout: '5s',
          path,
          ...inputs
        },
        timeoutMs: 60_000
      })
      ms = performance.now() - t0
      return step
    })
    const rep = r.outputs.report ? (JSON.parse(readFileSync(r.outputs.report, 'utf8')) as CanaryReport) : undefined
    const line = {
      verdict: r.outputs.verdict,
      steps: rep?.steps.map((s) => `${s.weight}%:${s.outcome}:${s.judgements.map((j) => j.score).join('/')}`),
      abortMs: rep?.abortMs,
      ms: Math.round(ms),
      load: { ...load, resets: resets(load) }
    }
    measured.push(`  ${what}: ${JSON.stringify(line)}`)
    if (!rep) throw new Error(`canary (${what}) wrote no report (${r.code}): ${r.stdout.slice(-2000)}${r.stderr}`)
    return { r, rep, load }
  }

  /** Every count of the router's failures is 0. */
  const noFailures = (f: Record<string, number>) =>
    expect(f).toEqual(Object.fromEntries(Object.keys(f).map((k) => [k, 0])))

  const errors = (r: { annotations: Array<{ level: string; message: string }> }) =>
    r.annotations.filter((a) => a.level === 'error').map((a) => a.message)

  /** Who answers through the router now: each app's count of 200 requests sent through it. */
  async function served(): Promise<Record<string, number>> {
    await Promise.all([blue.reset(), green.reset()])
    const l = await requests(`${router.url}/`, 4, 200)
    expect(l.timeouts).toBe(0)
    return { blue: await blue.count(), green: await green.count() }
  }

  describe(`canary through ${name} (probe source, two real app instances, under load)`, () => {
    test('a canary 40% slower is aborted at the first or second judged step; the router back at the baseline', async () => {
      await Promise.all([blue.behave({ delayMs: 25, spread: SPREAD }), green.behave({ delayMs: 35, spread: SPREAD })])
      const { r, rep, load } = await canary('+40% latency', {})
      expect(r.code).toBe(1)
      expect(r.outputs.verdict).toBe('aborted')
      const step = Number(r.outputs['failed-step'])
      expect([1, 2]).toContain(step)
      expect(errors(r)).toEqual([expect.stringMatching(/^canary aborted: step [12] \((10|50)%\) failed its judgement/)])
      const failed = rep.steps[step - 1]
      expect(failed.outcome).toBe('failed')
      expect(failed.judgements.at(-1)!.metrics.find((m) => m.name === 'latency')).toMatchObject({
        classification: 'high'
      })
      expect(await router.weights()).toEqual({ blue: 100, green: 0 })
      expect(rep.changes.at(-1)!.weights).toEqual({ blue: 100, green: 0 })
      expect(await served()).toEqual({ blue: 200, green: 0 })
      expect(rep.abortMs).toEqual(expect.any(Number))
      noFailures(router.failures(load))
    })

    test('a canary equal to the baseline is promoted: 10%, 50%, then 100% on the router', async () => {
      await Promise.all([blue.behave({ delayMs: 25, spread: SPREAD }), green.behave({ delayMs: 25, spread: SPREAD })])
      const { r, rep, load } = await canary('equal', {})
      expect({ code: r.code, errors: errors(r) }).toEqual({ code: 0, errors: [] })
      expect(r.outputs.verdict).toBe('promoted')
      expect(rep.steps.map((s) => s.outcome)).toEqual(['passed', 'passed', 'promoted'])
      expect(rep.changes.map((c) => c.weights)).toEqual([
        { blue: 90, green: 10 },
        { blue: 50, green: 50 },
        { blue: 0, green: 100 }
      ])
      expect(await router.weights()).toEqual({ blue: 0, green: 100 })
      expect(await served()).toEqual({ blue: 0, green: 200 })
      expect(load.total).toBeGreaterThan(500)
      noFailures(router.failures(load))
    })

    test('a canary whose error rate is 3% against the baseline’s 0.1% (600 requests a step) is aborted: error-rate high', async () => {
      await Promise.all([
        blue.behave({ delayMs: 10, spread: SPREAD, errorRate: 0.001 }),
        green.behave({ delayMs: 10, spread: SPREAD, errorRate: 0.03 })
      ])
      const { r, rep, load } = await canary('0.1% → 3% errors', { bake: '2s', requests: '600', 'guard-interval': '1s' })
      expect(r.code).toBe(1)
      expect(r.outputs.verdict).toBe('aborted')
      const step = Number(r.outputs['failed-step'])
      expect([1, 2]).toContain(step)
      const failed = rep.steps[step - 1]
      // Judged, not stopped by the guard: 3% is far below guard-max-error-rate (20%).
      expect(failed.outcome).toBe('failed')
      const j = failed.judgements.at(-1)!
      expect(j.score).toBe(0)
      const rate = j.metrics.find((m) => m.name === 'error-rate')!
      expect(rate.classification).toBe('high')
      expect(rate.baseline.n).toBeGreaterThanOrEqual(600)
      expect(rate.canary.n).toBeGreaterThanOrEqual(600)
      expect(await router.weights()).toEqual({ blue: 100, green: 0 })
      // The canary's own 500s pass through the router (non-2xx); the router fails nothing of its own.
      noFailures({ ...router.failures(load), non2xx: 0 })
    })

    test('a canary that answers 500 is aborted by the guard at its first look, before any judgement', async () => {
      await Promise.all([
        blue.behave({ delayMs: 10, spread: SPREAD }),
        green.behave({ delayMs: 10, spread: SPREAD, errorRate: 1 })
      ])
      const { r, rep, load } = await canary('500s (guard)', { bake: '3s', requests: '300', 'guard-interval': '1s' })
      expect(r.code).toBe(1)
      expect(r.outputs).toMatchObject({ verdict: 'aborted', 'failed-step': '1' })
      expect(rep.steps[0]).toMatchObject({ outcome: 'guard', judgements: [] })
      expect(rep.steps[0].guard).toEqual([expect.stringMatching(/^the canary's last \d+ responses: error rate 100%/)])
      // From the change to 10% to the one back: one guard-interval (1 s) and the abort; a second look would be at 2 s.
      const elapsed = Date.parse(rep.changes[1].at) - Date.parse(rep.changes[0].at)
      expect(rep.changes.map((c) => c.weights)).toEqual([
        { blue: 90, green: 10 },
        { blue: 100, green: 0 }
      ])
      expect(elapsed).toBeGreaterThanOrEqual(1000)
      expect(elapsed).toBeLessThan(2000)
      expect(await router.weights()).toEqual({ blue: 100, green: 0 })
      noFailures({ ...router.failures(load), non2xx: 0 })
    })

    test('too few samples: the step is extended (inconclusive, then judged with the points added up), not failed', async () => {
      await Promise.all([blue.behave({ delayMs: 10, spread: SPREAD }), green.behave({ delayMs: 10, spread: SPREAD })])
      const { r, rep, load } = await canary('too few samples', {
        steps: '10%,100%',
        requests: '30',
        'min-samples': '50',
        'max-extensions': '2'
      })
      expect({ code: r.code, errors: errors(r) }).toEqual({ code: 0, errors: [] })
      expect(r.outputs.verdict).toBe('promoted')
      const js = rep.steps[0].judgements
      expect(js.map((j) => j.verdict)).toEqual(['inconclusive', 'pass'])
      expect(js[0].metrics.map((m) => m.classification)).toEqual(['nodata', 'nodata'])
      expect(js[1].metrics.map((m) => [m.baseline.n, m.canary.n])).toEqual([
        [60, 60],
        [60, 60]
      ])
      expect(await router.weights()).toEqual({ blue: 0, green: 100 })
      noFailures(router.failures(load))
    })
  })
}
