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
  progress,
  runAction,
  setOutputs,
  writeReport,
  writeSummary
} from '@gantry/core'
import { displayUrl, loadBaseline } from '@gantry/probe'
import {
  checkDeployed,
  checkHealth,
  checkTargets,
  emptyHistory,
  findRelease,
  lockSettings,
  makeTargets,
  maskTargetSecrets,
  rollback,
  rollbackSummary,
  rollbackTarget,
  runContext,
  targetKinds,
  unhealthyAfterRollback,
  watch,
  watchTimingError,
  type RollbackSummary,
  type WatchResult
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
    if (i.watch > 0 && healthUrls.length === 0) {
      throw new InputError(
        `Input 'health-url' is required when watch is not 0 (watch is '${i.watch / 1000}s'): expected ${URLS_FORM}`
      )
    }
    const timing = watchTimingError(i.watch, i.interval, i['unhealthy-threshold'])
    if (timing) throw new InputError(timing)
    // Read before any change: a bad baseline is an input error. The watch takes each URL's p95 from it.
    const baseline = i.baseline ? await loadBaseline(i.baseline) : undefined
    const shown = healthUrls.map(displayUrl).join(', ')
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
    const summary: RollbackSummary = { rolledBack: false, reason: '', environment: i.environment }
    const body: Record<string, unknown> = { target: i.target, path: i.path, environment: i.environment ?? null }

    const finish = async (ok: boolean) => {
      const report = await writeReport('auto-rollback', started, ok, {
        rolledBack: summary.rolledBack,
        from: summary.from ?? null,
        to: summary.to ?? null,
        reason: summary.reason,
        switchMs: summary.durationMs === undefined ? null : Math.round(summary.durationMs * 100) / 100,
        ...body
      })
      await writeSummary(rollbackSummary(summary))
      setOutputs('auto-rollback', {
        'rolled-back': summary.rolledBack,
        from: summary.from ?? '',
        to: summary.to ?? '',
        reason: summary.reason,
        duration: summary.durationMs === undefined ? '' : Math.round(summary.durationMs),
        report
      })
    }

    try {
      let reason = i.reason ?? `rollback requested by ${ctx.actor ?? 'unknown'}`
      let watched: string | undefined
      if (i.watch > 0) {
        const t = targets[0]
        const current = await t.current()
        watched = current
        // Read without the lock, only for this warning: a history that cannot be read is dealt with under it.
        const history = await t.readHistory().catch(() => undefined)
        const back = history && rollbackTarget(history, current, new Set(await t.listReleases()))
        if (history && !back && !i.to) core.warning(`${t.name}: nothing to roll back to if the watch sees a breach`)
        core.info(`watching ${shown} for ${i.watch / 1000} s (every ${i.interval / 1000} s); current: ${current}`)
        const lines = progress((l) => core.info(l))
        const w: WatchResult = await watch({
          urls: healthUrls,
          expect,
          durationMs: i.watch,
          intervalMs: i.interval,
          unhealthyThreshold: i['unhealthy-threshold'],
          maxErrorRate: i['max-error-rate'],
          maxP95Ms: i['max-p95'],
          baseline,
          maxLatencyRatio: i['max-latency-ratio'],
          // Each failing probe at debug; what a user watching sees is the progress: changes, and every 10 s.
          log: (l) => core.debug(l),
          progress: lines
        }).finally(() => lines.stop())
        summary.watch = w
        // baselineP95 at the top for one URL, as before; with several, each of w.urls has its own.
        const baselineP95 = w.urls.length === 1 ? w.urls[0]?.baselineP95 : undefined
        body.watch = {
          ...w,
          baselineP95: baselineP95 ?? null,
          intervalMs: i.interval,
          durationMs: i.watch,
          expectStatus: String(expect.status),
          expectBody: expect.body?.source ?? null
        }
        if (!w.breach) {
          summary.from = current
          summary.to = current
          summary.reason = `watch clean: ${w.probes} probes, ${w.failures} failed, p95 ${w.p95 ?? '–'} ms`
          await finish(true)
          core.info(`✅ ${summary.reason}; no rollback`)
          return
        }
        reason = i.reason ? `${w.breach} (${i.reason})` : w.breach
        core.info(`breach: ${w.breach}`)
      }
      summary.reason = reason

      const r = await rollback({
        targets,
        to: i.to,
        expectFrom: watched,
        reason,
        context: ctx,
        lock,
        log: (l) => core.info(l),
        warn: (l) => core.warning(l)
      })
      Object.assign(summary, { rolledBack: true, from: r.from, to: r.to, durationMs: r.switchMs })
      body.verifyAndSwitchMs = Math.round(r.durationMs * 10) / 10

      const health = healthUrls.length
        ? await checkHealth(healthUrls, i['unhealthy-threshold'], Math.min(i.interval, 2000), expect)
        : undefined
      summary.health = health
      if (health) body.healthAfterSwitch = health
      await markDeploymentFailed(i, r.from, r.to, reason, targets[0], body)
      await finish(health?.ok !== false)
      core.error(`Deployment failed: rolled back from ${r.from ?? '(none)'} to ${r.to}: ${reason}`, {
        title: 'auto-rollback'
      })
      if (health && !health.ok) throw new UserError(unhealthyAfterRollback(r.to, health))
    } catch (e) {
      if (e instanceof UserError || e instanceof InputError) throw e
      summary.error = errorMessage(e)
      if (!summary.reason) summary.reason = summary.error
      // Nothing changed: from and to both name what is (still) current.
      if (!summary.rolledBack && summary.from === undefined) {
        const current = await targets[0].current().catch(() => undefined)
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

/** The deployment is `github-deployment-id`, or the one deploy-atomic recorded with the release left behind. */
async function markDeploymentFailed(
  i: { 'github-deployment-id'?: number; token?: string; environment?: string },
  from: string | undefined,
  to: string,
  reason: string,
  t: { readHistory(): Promise<import('@gantry/release').History> },
  body: Record<string, unknown>
): Promise<void> {
  let id = i['github-deployment-id']
  if (id === undefined && from && i.token)
    id = findRelease(await t.readHistory().catch(() => emptyHistory()), from)?.githubDeploymentId
  if (id === undefined) return
  if (!i.token) {
    core.warning(`github-deployment-id ${id} given without a token: the deployment was not marked failed`)
    return
  }
  try {
    // Loaded only when needed (a chunk of its own): a rollback should start fast.
    const { GitHubDeployments } = await import('@gantry/notify')
    const s = await new GitHubDeployments({ token: i.token }).createDeploymentStatus({
      deploymentId: id,
      state: 'failure',
      description: `rolled back to ${to}: ${reason}`
    })
    body.githubDeployment = { id, status: s.state, url: s.url }
  } catch (e) {
    core.warning(`GitHub deployment ${id}: could not mark it failed: ${errorMessage(e)}`)
    body.githubDeployment = { id, error: errorMessage(e) }
  }
}
