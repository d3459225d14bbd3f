/** deploy-atomic: read inputs → deploy (@gantry/release) → GitHub deployment statuses, outputs, summary, report. */
import * as core from '@actions/core'
import {
  InputError,
  UserError,
  errorMessage,
  maskSecret,
  parseInputs,
  progress,
  reportDir,
  runAction
} from '@gantry/core'
import {
  activateTimeout,
  checkTargets,
  deploy,
  lockSettings,
  makeTargets,
  maskTargetSecrets,
  prepareSource,
  reportDeployFailed,
  reportDeployed,
  resolveSlot,
  runContext,
  targetKinds,
  type DeployResult,
  type PreparedSource
} from '@gantry/release'
import { mkdirSync } from 'node:fs'
import { inputs } from './inputs.js'
import { prepareRolling, rollingValues, type Rolling } from '@gantry/traffic'

export async function run(): Promise<void> {
  await runAction(async () => {
    const started = new Date()
    const i = parseInputs('deploy-atomic', inputs, { secrets: [...targetKinds.secrets, 'token'] })
    maskTargetSecrets(i)
    maskSecret(i.token)
    // Everything that can be checked is checked before the first side effect.
    checkTargets(i)
    if (i['github-deployment'] && !i.token) {
      throw new InputError("Input 'token' is required when github-deployment is true: expected a GitHub token")
    }
    // strategy: rolling: every input check here, the router's (read only) once the targets exist.
    const plan = rollingValues(i)
    const lock = lockSettings()
    const environment = i.environment ?? (i['github-deployment'] ? 'production' : undefined)
    const ctx = runContext()
    const tmpDir = reportDir()
    mkdirSync(tmpDir, { recursive: true })
    const targets = makeTargets(i, { log: (l) => core.info(l) })
    // The source is checked whole (a tarball listed and extracted, links resolved, not
    // empty) before the GitHub deployment exists: a bad source is an input error.
    let source: PreparedSource
    let slot: string | undefined
    let rolling: Rolling | undefined
    try {
      // The router is read (never changed) before anything is written: a hosts name it lacks fails here.
      if (plan)
        rolling = await prepareRolling(plan, i, targets, {
          log: (l) => core.info(l),
          warn: (l) => core.warning(l),
          debug: (l) => core.debug(l),
          tempRoot: process.env.RUNNER_TEMP,
          actor: ctx.actor,
          run: ctx.run
        })
      // `slot: idle` is resolved from traffic.json (read only) before the GitHub deployment exists.
      slot = await resolveSlot(targets, i.slot)
      source = await prepareSource({
        source: i.source,
        shared: i.shared,
        tmpDir,
        targets,
        allowEmpty: i['allow-empty'],
        slot
      })
    } catch (e) {
      await rolling?.close()
      for (const t of targets) await t.close()
      throw e
    }
    try {
      // Loaded only when asked for: the GitHub client (octokit and its own undici) is a
      // separate chunk of the bundle, which every other deploy would pay for in start-up time.
      const gh = i['github-deployment']
        ? await (
            await import('@gantry/notify')
          ).startDeploymentRun({
            token: i.token!,
            environment: environment!,
            releaseId: i['release-id'],
            info: (l) => core.info(l),
            warn: (l) => core.warning(l)
          })
        : undefined
      const record = {
        started,
        target: i.target,
        path: i.path,
        environment,
        slot,
        githubDeployment: gh,
        ...(rolling ? { extra: { strategy: 'rolling', rolling: rolling.record } } : {})
      }

      let result: DeployResult
      try {
        const lines = progress((l) => core.info(l))
        result = await deploy({
          targets,
          source: i.source,
          releaseId: i['release-id'],
          keep: i.keep,
          shared: i.shared,
          activate: i.activate,
          slot,
          activateTimeoutMs: activateTimeout(),
          environment,
          githubDeploymentId: gh?.id,
          tmpDir,
          prepared: source,
          context: ctx,
          lock,
          log: (l) => core.info(l),
          warn: (l) => core.warning(l),
          progress: lines,
          rollout: rolling?.rollout
        }).finally(() => lines.stop())
      } catch (e) {
        const message = errorMessage(e)
        await gh?.failed(message)
        await reportDeployFailed(record, message)
        await rolling?.summary()
        if (e instanceof Error && e.stack) core.debug(e.stack)
        throw new UserError(message)
      } finally {
        await rolling?.close()
        for (const t of targets) await t.close()
      }

      await gh?.live(result.id, environment!)
      await reportDeployed(record, result)
      await rolling?.summary()
      core.info(
        result.slot
          ? `release ${result.id} is in slot ${result.slot} (previous in that slot: ${result.previous ?? 'none'}); current untouched`
          : `release ${result.id} is live (previous: ${result.previous ?? 'none'})`
      )
    } finally {
      source.dispose()
      for (const t of targets) await t.close()
    }
  })
}
