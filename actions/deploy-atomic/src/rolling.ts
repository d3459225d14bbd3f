/**
 * deploy-atomic's `strategy: rolling` wiring: the plan from the inputs (every
 * check before a side effect), the router made and read once the targets
 * exist (read only), the orchestrator of @gantry/traffic with each host gated
 * by health-gate's runGate, and the summary section.
 */
import * as core from '@actions/core'
import { InputError, progress, writeSummary } from '@gantry/core'
import { runGate } from '@gantry/probe'
import type { Target } from '@gantry/release'
import {
  checkAgainstRouter,
  formatWeights,
  makeHost,
  makeRouter,
  rollingRollout,
  rollingSummary,
  type RollingPlan,
  type RollingRecord
} from '@gantry/traffic'
import type { Rollout } from '@gantry/release'
import type { StatusSet } from '@gantry/core'

interface GateValues {
  'expect-status': StatusSet
  'expect-body'?: RegExp
  interval: number
  'max-wait': number
  samples: number
}

export interface Rolling {
  rollout: Rollout
  record: RollingRecord
  summary(): Promise<void>
  close(): Promise<void>
}

export async function prepareRolling(plan: RollingPlan, i: GateValues, targets: Target[]): Promise<Rolling> {
  const warn = (l: string) => core.warning(l)
  const log = (l: string) => core.info(l)
  const host = makeHost(plan.traffic, { log, warn, progress: () => undefined, tempRoot: process.env.RUNNER_TEMP })
  const lines = progress(log)
  try {
    const router = makeRouter(plan.traffic, {
      host,
      timeoutMs: plan.traffic.timeout,
      drainTimeoutMs: plan.traffic['drain-timeout'],
      log,
      warn,
      progress: (key, state, detail) => lines.update(key, state, detail)
    })
    await router.preflight()
    const before = checkAgainstRouter(plan, await router.read(), plan.traffic.router)
    // The targets are one per hosts line, in order: their server names are the plan's.
    for (const [n, t] of targets.entries())
      if (t.serverName !== plan.hosts[n]?.serverName)
        throw new InputError(`Input 'hosts' has invalid value '${plan.hosts[n]?.line}': its target has no server name`)
    log(
      `rolling over ${plan.traffic.upstream} in batches of ${plan.batchSize}; router weights before: ${formatWeights(before)}`
    )
    const { rollout, record } = rollingRollout({
      router,
      servers: plan.servers.map((s) => s.name),
      batchSize: plan.batchSize,
      hostHealthUrl: plan.hostHealthUrl,
      before,
      log,
      progress: (key, state, detail) => lines.update(key, state, detail),
      gate: async (url) => {
        const r = await runGate({
          urls: [url],
          method: 'GET',
          headers: [],
          expect: { status: i['expect-status'], body: i['expect-body'] },
          timeoutMs: 5_000,
          intervalMs: i.interval,
          maxWaitMs: i['max-wait'],
          threshold: 3,
          samples: i.samples,
          concurrency: 4,
          maxErrorRate: 0,
          maxLatencyRatio: 2,
          log: (l) => core.debug(l),
          progress: lines
        })
        const u = r.urls[0]
        return { ok: r.ok, p95: r.p95, reasons: u?.reasons ?? [] }
      }
    })
    return {
      rollout,
      record,
      summary: () => writeSummary(rollingSummary(record, plan.traffic.upstream)),
      close: async () => {
        lines.stop()
        await host.close()
      }
    }
  } catch (e) {
    lines.stop()
    await host.close()
    throw e
  }
}
