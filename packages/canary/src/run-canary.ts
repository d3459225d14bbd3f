/**
 * The canary's steps: for each judged step, set the weights, bake (the guard
 * looking at the canary's recent responses every guard interval), judge the
 * window's data; an inconclusive judgement extends the bake (the points add
 * up) up to max-extensions, then on-inconclusive decides. A failed judgement
 * or a tripped guard aborts: all traffic back to the baseline at once. The
 * last step, 100%, is the promotion. Pure orchestration: the router, the
 * source, the judge and the clock are given.
 */
import type { MetricSource, WindowData } from './source.js'
import { mergeWindows } from './source.js'
import { stepWeights } from './steps.js'

export type StepVerdict = 'pass' | 'fail' | 'inconclusive'

export interface Judgement {
  verdict: StepVerdict
  score: number
  /** Per metric, whatever the judge reports (U, p, HL shift and interval, classification). */
  metrics: unknown[]
}

export interface CanarySettings {
  baseline: string
  canary: string
  steps: number[]
  bakeMs: number
  guardIntervalMs: number
  maxExtensions: number
  onInconclusive: 'extend' | 'fail' | 'pass'
}

export interface CanaryDeps {
  /** Puts the weights in place (the traffic router's apply), recording why. */
  apply(weights: Record<string, number>, reason: string): Promise<void>
  source: MetricSource
  judge(data: WindowData): Judgement
  /** Reasons the canary's recent responses are a hard failure; empty when not. */
  guard(recent: ReturnType<ReturnType<MetricSource['begin']>['recent']>): string[]
  /** Waits ms (or until the signal aborts). */
  wait(ms: number, signal: AbortSignal): Promise<void>
  now(): number
  log(line: string): void
  signal?: AbortSignal
}

export interface StepRecord {
  step: number
  weight: number
  startedAt: number
  /** One judgement per window: the bake, then each extension. */
  judgements: Array<Judgement & { at: number; window: number; notes?: string[] }>
  data?: WindowData
  outcome: 'passed' | 'failed' | 'inconclusive' | 'passed-inconclusive' | 'guard' | 'promoted'
  guard?: string[]
}

export type CanaryVerdict = 'promoted' | 'aborted' | 'inconclusive'

export interface CanaryResult {
  verdict: CanaryVerdict
  /** The last judgement's score (100 when promoted without a judged step). */
  score: number
  /** 1-based step that failed or stayed inconclusive. */
  failedStep?: number
  steps: StepRecord[]
  /** Weight changes in order, with when and why. */
  changes: Array<{ at: number; weights: Record<string, number>; reason: string }>
  /** From the failing judgement (or guard trip) to the weights back on the baseline, ms. */
  abortMs?: number
  reason: string
}

export async function runCanary(s: CanarySettings, d: CanaryDeps): Promise<CanaryResult> {
  const signal = d.signal ?? new AbortController().signal
  const steps: StepRecord[] = []
  const changes: CanaryResult['changes'] = []
  let score = 100
  const move = async (weight: number, reason: string) => {
    const weights = stepWeights(weight, s.baseline, s.canary)
    await d.apply(weights, reason)
    changes.push({ at: d.now(), weights, reason })
  }
  const abort = async (rec: StepRecord, verdict: 'aborted' | 'inconclusive', reason: string): Promise<CanaryResult> => {
    const from = d.now()
    await move(0, `canary ${verdict}: ${reason}`)
    return {
      verdict,
      score,
      failedStep: rec.step,
      steps,
      changes,
      abortMs: d.now() - from,
      reason
    }
  }

  for (const [n, weight] of s.steps.entries()) {
    const rec: StepRecord = { step: n + 1, weight, startedAt: d.now(), judgements: [], outcome: 'passed' }
    steps.push(rec)
    if (weight === 100) {
      await move(100, `canary promoted after ${n} judged step(s)`)
      rec.outcome = 'promoted'
      d.log(`step ${rec.step}/${s.steps.length}: 100% to ${s.canary}: promoted`)
      return { verdict: 'promoted', score, steps, changes, reason: `every judged step passed (last score ${score})` }
    }
    await move(weight, `canary step ${rec.step}/${s.steps.length}`)
    d.log(`step ${rec.step}/${s.steps.length}: ${weight}% to ${s.canary}, baking ${s.bakeMs} ms`)
    let data: WindowData = {}
    for (let window = 0; ; window++) {
      const w = d.source.begin(s.bakeMs, signal)
      const end = d.now() + s.bakeMs
      // The guard every guardInterval until the bake is over; a hard failure ends the canary now.
      for (let left = s.bakeMs; left > 0; left = end - d.now()) {
        await d.wait(Math.min(s.guardIntervalMs, left), signal)
        const reasons = d.guard(w.recent())
        if (reasons.length > 0) {
          w.cancel()
          rec.outcome = 'guard'
          rec.guard = reasons
          d.log(`step ${rec.step}: guard tripped: ${reasons.join('; ')}`)
          return abort(rec, 'aborted', `step ${rec.step} (${weight}%): the guard tripped: ${reasons.join('; ')}`)
        }
      }
      data = mergeWindows(data, await w.end())
      const j = d.judge(data)
      rec.judgements.push({ ...j, at: d.now(), window, ...(w.notes ? { notes: w.notes() } : {}) })
      rec.data = data
      score = j.score
      d.log(`step ${rec.step}: window ${window + 1}: ${j.verdict}, score ${j.score}`)
      if (j.verdict === 'pass') break
      if (j.verdict === 'fail') {
        rec.outcome = 'failed'
        return abort(rec, 'aborted', `step ${rec.step} (${weight}%) failed its judgement (score ${j.score})`)
      }
      if (window < s.maxExtensions) continue
      if (s.onInconclusive === 'pass') {
        rec.outcome = 'passed-inconclusive'
        d.log(`step ${rec.step}: inconclusive after ${window} extension(s); on-inconclusive: pass goes on`)
        break
      }
      rec.outcome = s.onInconclusive === 'fail' ? 'failed' : 'inconclusive'
      const why = `step ${rec.step} (${weight}%) stayed inconclusive after ${window} extension(s) (score ${j.score})`
      return abort(rec, s.onInconclusive === 'fail' ? 'aborted' : 'inconclusive', why)
    }
  }
  // parseSteps guarantees the last step is 100%.
  throw new Error('canary: steps did not end at 100%')
}
