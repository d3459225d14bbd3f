/** traffic: read inputs → move the traffic (@gantry/traffic) → outputs, summary, report. */
import * as core from '@actions/core'
import { parseInputs, progress, runAction, setOutputs, writeReport, writeSummary } from '@gantry/core'
import { checkTraffic, formatWeights, routerKinds, runTraffic, trafficSecrets, trafficSummary } from '@gantry/traffic'
import { inputs } from './inputs.js'

export async function run(): Promise<void> {
  await runAction(async () => {
    const started = new Date()
    const i = parseInputs('traffic', inputs, { secrets: trafficSecrets })
    // Every check that needs no router host, before anything is touched.
    checkTraffic(i)
    const lines = progress((l) => core.info(l))
    let result
    try {
      result = await runTraffic(i, {
        log: (l) => core.info(l),
        warn: (l) => core.warning(l, { title: 'traffic' }),
        progress: (key, state, detail) => lines.update(key, state, detail),
        tempRoot: process.env.RUNNER_TEMP || undefined
      })
    } catch (e) {
      const failed = await writeReport('traffic', started, false, {
        router: i.router,
        upstream: i.upstream,
        routers: routerKinds.names,
        error: (e as Error).message
      })
      setOutputs('traffic', { report: failed })
      throw e
    } finally {
      lines.stop()
    }
    core.info(`✅ ${result.upstream}: ${formatWeights(result.previous)} -> ${formatWeights(result.weights)}`)
    const report = await writeReport('traffic', started, true, {
      router: result.router,
      upstream: result.upstream,
      host: result.host,
      weights: result.weights,
      previousWeights: result.previous,
      drained: result.drained,
      verified: result.verified,
      change: result.change,
      history: result.store
    })
    await writeSummary(trafficSummary(result))
    setOutputs('traffic', { weights: result.weights, 'previous-weights': result.previous, report })
  })
}
