/**
 * auto-rollback: read inputs → (watch) → roll back (@gantry/release) → GitHub
 * deployment status, outputs, summary, report.
 *
 * Exit code: 0 when no rollback was needed or the rollback succeeded (the
 * summary and an error annotation still say plainly that the deployment
 * failed, and rolled-back=true); 1 when a rollback was needed and could not be
 * done, or the restored release is not healthy either.
 */
import * as core from '@actions/core'
import {
  InputError,
  URLS_FORM,
  UserError,
  errorMessage,
  maskSecret,
  maskUrl,
  parseInputs,
  runAction
} from '@gantry/core'
import { loadBaseline } from '@gantry/probe'
import { rollbackSlotTraffic, slotTrafficValues } from '@gantry/traffic'
import {
  checkDeployed,
  checkHealth,
  checkTargets,
  deploymentToMark,
  lockSettings,
  makeTargets,
  maskTargetSecrets,
  reportRollback,
  runContext,
  targetKinds,
  unhealthyAfterRollback,
  watchLive,
  watchTimingError,
  type RollbackSummary
} from '@gantry/release'
import { inputs } from './inputs.js'

export async function run(): Promise<void> {
  await runAction(async () => {
    const started = new Date()
    const i = parseInputs('auto-rollback', inputs, { secrets: [...targetKinds.secrets, 'token'] })
    maskTargetSecrets(i)
    maskSecret(i.token)
    const healthUrls = i['health-url'] ?? []
    for (const u of healthUrls) maskUrl(u)
    checkTargets(i)
    // With slot and a router: the slot's traffic goes back first (checked now, before any change).
    const traffic = slotTrafficValues(i)
    if (i.watch > 0 && healthUrls.length === 0) {
      throw new InputError(
        `Input 'health-url' is required when watch is not 0 (watch is '${i.watch / 1000}s'): expected ${URLS_FORM}`
      )
    }
    const timing = watchTimingError(i.watch, i.interval, i['unhealthy-threshold'])
    if (timing) throw new InputError(timing)
    // Read before any change: a bad baseline is an input error. The watch takes each URL's p95 from it.
    const baseline = i.baseline ? await loadBaseline(i.baseline) : undefined
    // What a probe must get, during the watch and after the switch: health-gate's expectation.
    const expect = { status: i['expect-status'], body: i['expect-body'] }
    const ctx = runContext()
    const lock = lockSettings()
    const targets = makeTargets(i, { log: (l) => core.info(l) })
    // A mistyped path is an input error now, not a missing lock directory after a ten-minute watch.
    try {
      await checkDeployed(targets)
    } catch (e) {
      for (const t of targets) await t.close()
      throw e
    }
    const summary: RollbackSummary = { rolledBack: false, reason: '', environment: i.environment, slot: i.slot }
    const body: Record<string, unknown> = { target: i.target, path: i.path, environment: i.environment ?? null }
    const finish = (ok: boolean) => reportRollback(started, ok, summary, body)

    try {
      let reason = i.reason ?? `rollback requested by ${ctx.actor ?? 'unknown'}`
      let watched: string | undefined
      if (i.watch > 0) {
        const w = await watchLive(targets[0], {
          urls: healthUrls,
          expect,
          durationMs: i.watch,
          intervalMs: i.interval,
          unhealthyThreshold: i['unhealthy-threshold'],
          maxErrorRate: i['max-error-rate'],
          maxP95Ms: i['max-p95'],
          baseline,
          maxLatencyRatio: i['max-latency-ratio'],
          to: i.to,
          slot: i.slot,
          info: (l) => core.info(l),
          warn: (l) => core.warning(l),
          debug: (l) => core.debug(l)
        })
        watched = w.current
        summary.watch = w.result
        body.watch = w.report
        if (!w.result.breach) {
          const r = w.result
          Object.assign(summary, { from: watched, to: watched })
          summary.reason = `watch clean: ${r.probes} probes, ${r.failures} failed, p95 ${r.p95 ?? '–'} ms`
          await finish(true)
          core.info(`✅ ${summary.reason}; no rollback`)
          return
        }
        reason = i.reason ? `${w.result.breach} (${i.reason})` : w.result.breach
        core.info(`breach: ${w.result.breach}`)
      }
      summary.reason = reason

      const { result: r, back } = await rollbackSlotTraffic({
        targets,
        to: i.to,
        slot: i.slot,
        expectFrom: watched,
        reason,
        context: ctx,
        lock,
        log: (l) => core.info(l),
        warn: (l) => core.warning(l),
        traffic,
        trafficOptions: {
          log: (l) => core.info(l),
          warn: (l) => core.warning(l, { title: 'traffic' }),
          progress: (key, state, detail) => core.info(`${key}: ${state} ${detail}`),
          tempRoot: process.env.RUNNER_TEMP || undefined
        }
      })
      if (back) {
        summary.traffic = back.note
        body.traffic = back.result
          ? { weights: back.result.weights, previousWeights: back.result.previous, change: back.result.change }
          : { moved: false, note: back.note }
      }
      Object.assign(summary, { rolledBack: true, from: r.from, to: r.to, durationMs: r.switchMs })
      body.verifyAndSwitchMs = Math.round(r.durationMs * 10) / 10

      const health = healthUrls.length
        ? await checkHealth(healthUrls, i['unhealthy-threshold'], Math.min(i.interval, 2000), expect)
        : undefined
      summary.health = health
      if (health) body.healthAfterSwitch = health
      const deploymentId = await deploymentToMark(i, r.from, targets[0], (l) => core.warning(l))
      if (deploymentId !== undefined) {
        // Loaded only when needed (a chunk of its own): a rollback should start fast.
        const { markRolledBack } = await import('@gantry/notify')
        const warn = (l: string) => core.warning(l)
        body.githubDeployment = await markRolledBack({ token: i.token!, deploymentId, to: r.to, reason, warn })
      }
      await finish(health?.ok !== false)
      core.error(
        `Deployment failed: rolled back ${i.slot ? `slot ${i.slot} ` : ''}from ${r.from ?? '(none)'} to ${r.to}: ${reason}`,
        {
          title: 'auto-rollback'
        }
      )
      if (health && !health.ok) throw new UserError(unhealthyAfterRollback(r.to, health))
    } catch (e) {
      if (e instanceof UserError || e instanceof InputError) throw e
      summary.error = errorMessage(e)
      if (!summary.reason) summary.reason = summary.error
      // Nothing changed: from and to both name what is (still) current.
      if (!summary.rolledBack && summary.from === undefined) {
        const current = await (i.slot ? targets[0].slot(i.slot) : targets[0].current()).catch(() => undefined)
        summary.from = current
        summary.to = current
      }
      await finish(false)
      if (e instanceof Error && e.stack) core.debug(e.stack)
      throw new UserError(summary.error)
    } finally {
      for (const t of targets) await t.close()
    }
  })
}
