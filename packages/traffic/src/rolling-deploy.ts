/**
 * deploy-atomic's `strategy: rolling` wiring: the router made and read once
 * the targets exist (read only, before anything is written), the orchestrator
 * (rollingRollout) with each host gated by health-gate's runGate, and the
 * summary section. deploy-atomic's main only passes its inputs and log in.
 */
import { InputError, progress, writeSummary, type StatusSet } from '@gantry/core'
import { GATE_DEFAULTS, runGate } from '@gantry/probe'
import { recordTraffic, type Rollout, type Target } from '@gantry/release'
import type { RollingPlan } from './rolling-plan.js'
import { checkAgainstRouter, rollingSummary } from './rolling-plan.js'
import { rollingRollout, type RollingRecord } from './rolling.js'
import { makeRouter } from './routers/registry.js'
import { makeHost } from './traffic.js'
import { formatWeights } from './weights.js'

/** The per-host gate's inputs: health-gate's names; the rest of its policy is GATE_DEFAULTS. */
export interface RollingGateValues {
  'expect-status': StatusSet
  'expect-body'?: RegExp
  interval: number
  'max-wait': number
  samples: number
}

export interface RollingIo {
  log: (line: string) => void
  warn: (line: string) => void
  /** Each gate request's line (the runner's debug log). */
  debug: (line: string) => void
  /** Where an ssh router host's key files go (RUNNER_TEMP). */
  tempRoot?: string
  /** Who and which run, for the router side's record of a server left out. */
  actor?: string
  run?: string
}

export interface Rolling {
  rollout: Rollout
  record: RollingRecord
  /** Writes the rolling section of the job summary. */
  summary(): Promise<void>
  close(): Promise<void>
}

export async function prepareRolling(
  plan: RollingPlan,
  i: RollingGateValues,
  targets: readonly Target[],
  io: RollingIo
): Promise<Rolling> {
  const { log, warn } = io
  const host = makeHost(plan.traffic, { log, warn, progress: () => undefined, tempRoot: io.tempRoot })
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
    // Saved with the weights: a failure puts back the router's own weights and states, not rounded percentages.
    const saved = await router.save?.()
    const before = checkAgainstRouter(plan, await router.read(), plan.traffic.router, saved?.held)
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
      saved,
      log,
      onLeftOut: async (left) => {
        // The router side's record: the traffic timeline shows it, and `weights: previous` puts it back.
        await host.prepareStore()
        await recordTraffic(host.store, {
          at: new Date().toISOString(),
          router: plan.traffic.router,
          upstream: plan.traffic.upstream,
          weights: left.weights,
          previous: left.previous,
          drained: left.servers,
          reason: left.reason,
          ...(io.actor ? { actor: io.actor } : {}),
          ...(io.run ? { run: io.run } : {})
        })
        log(`${left.servers.join(', ')} left out of rotation: recorded in ${host.store.name}'s .gantry/traffic.json`)
      },
      progress: (key, state, detail) => lines.update(key, state, detail),
      gate: async (url) => {
        const r = await runGate({
          ...GATE_DEFAULTS,
          urls: [url],
          method: 'GET',
          headers: [],
          expect: { status: i['expect-status'], body: i['expect-body'] },
          intervalMs: i.interval,
          maxWaitMs: i['max-wait'],
          samples: i.samples,
          log: io.debug,
          progress: lines
        })
        return { ok: r.ok, p95: r.p95, reasons: r.urls[0]?.reasons ?? [] }
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
