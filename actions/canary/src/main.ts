/** canary: read inputs → steps of traffic, each judged (@gantry/canary) → outputs, summary, report. */
import * as core from '@actions/core'
import { UserError, parseInputs, progress, runAction, setOutputs, writeReport, writeSummary } from '@gantry/core'
import { canarySecrets, canarySummary, checkCanary, headline, runCanaryAction, sourceKinds } from '@gantry/canary'
import { routerKinds } from '@gantry/traffic'
import { inputs } from './inputs.js'

export async function run(): Promise<void> {
  await runAction(async () => {
    const started = new Date()
    const i = parseInputs('canary', inputs, { secrets: canarySecrets })
    // Every check that needs no router host, before anything moves.
    checkCanary(i)
    const lines = progress((l) => core.info(l))
    let r
    try {
      r = await runCanaryAction(i, {
        log: (l) => core.info(l),
        warn: (l) => core.warning(l, { title: 'canary' }),
        progress: (key, state, detail) => lines.update(key, state, detail),
        tempRoot: process.env.RUNNER_TEMP || undefined
      })
    } catch (e) {
      const failed = await writeReport('canary', started, false, {
        router: i.router,
        upstream: i.upstream,
        routers: routerKinds.names,
        sources: sourceKinds.names,
        error: (e as Error).message
      })
      setOutputs('canary', { report: failed })
      throw e
    } finally {
      lines.stop()
    }
    const report = await writeReport('canary', started, r.verdict === 'promoted', {
      verdict: r.verdict,
      score: r.score,
      failedStep: r.failedStep ?? null,
      reason: r.reason,
      baseline: r.baseline,
      canary: r.canary,
      router: r.router,
      upstream: r.upstream,
      host: r.host,
      source: r.source,
      settings: {
        steps: i.steps,
        bakeMs: i.bake,
        confidence: i.confidence,
        tolerance: i.tolerance,
        minSamples: i['min-samples'],
        passScore: i['pass-score'],
        marginalScore: i['marginal-score'],
        onInconclusive: i['on-inconclusive'],
        maxExtensions: i['max-extensions'],
        guardIntervalMs: i['guard-interval'],
        guardMaxErrorRate: i['guard-max-error-rate']
      },
      before: r.before ?? null,
      // Every judgement's numbers and the samples they were made from.
      steps: r.steps,
      changes: r.recorded,
      abortMs: r.abortMs ?? null,
      marked: r.marked ?? null
    })
    await writeSummary(canarySummary(r))
    setOutputs('canary', { verdict: r.verdict, score: r.score, 'failed-step': r.failedStep ?? '', report })
    const line = headline(r).replace(/\*\*/g, '')
    if (r.verdict === 'promoted') core.info(line)
    else if (i['fail-on-abort']) throw new UserError(`canary ${r.verdict}: ${r.reason}`)
    else core.warning(line, { title: 'canary' })
  })
}
