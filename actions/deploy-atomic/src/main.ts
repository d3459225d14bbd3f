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
  runAction,
  setOutputs,
  writeReport,
  writeSummary
} from '@gantry/core'
import {
  activateTimeout,
  checkTargets,
  deploy,
  deployFailureSummary,
  deploySummary,
  lockSettings,
  makeTargets,
  maskTargetSecrets,
  prepareSource,
  runContext,
  targetKinds,
  type DeployResult,
  type PreparedSource
} from '@gantry/release'
import { mkdirSync } from 'node:fs'
import { inputs } from './inputs.js'

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
    const lock = lockSettings()
    const environment = i.environment ?? (i['github-deployment'] ? 'production' : undefined)
    const ctx = runContext()
    const tmpDir = reportDir()
    mkdirSync(tmpDir, { recursive: true })
    const targets = makeTargets(i, { log: (l) => core.info(l) })
    // The source is checked whole (a tarball listed and extracted, links resolved, not
    // empty) before the GitHub deployment exists: a bad source is an input error.
    let source: PreparedSource
    try {
      source = await prepareSource({
        source: i.source,
        shared: i.shared,
        tmpDir,
        targets,
        allowEmpty: i['allow-empty']
      })
    } catch (e) {
      for (const t of targets) await t.close()
      throw e
    }
    try {
      // Loaded only when asked for: the GitHub client (octokit and its own undici) is a
      // separate chunk of the bundle, ~60% of its bytes, which every other deploy would
      // pay for in start-up time. scripts/bundle.mjs lists the licenses of every chunk.
      const notify = i['github-deployment'] ? await import('@gantry/notify') : undefined
      const gh = notify ? new notify.GitHubDeployments({ token: i.token! }) : undefined
      const deployment = gh
        ? await gh.createDeployment({
            environment: environment!,
            description: `gantry deploy-atomic${i['release-id'] ? ` ${i['release-id']}` : ''}`,
            payload: { tool: 'gantry', ...(i['release-id'] ? { releaseId: i['release-id'] } : {}) }
          })
        : undefined
      if (gh && deployment) {
        core.info(`GitHub deployment ${deployment.id} (${environment})`)
        await gh.createDeploymentStatus({
          deploymentId: deployment.id,
          state: 'in_progress',
          description: 'deploying',
          autoInactive: false
        })
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
          activateTimeoutMs: activateTimeout(),
          environment,
          githubDeploymentId: deployment?.id,
          tmpDir,
          prepared: source,
          context: ctx,
          lock,
          log: (l) => core.info(l),
          warn: (l) => core.warning(l),
          progress: lines
        }).finally(() => lines.stop())
      } catch (e) {
        const message = errorMessage(e)
        if (gh && deployment) {
          await gh
            .createDeploymentStatus({ deploymentId: deployment.id, state: 'failure', description: message })
            .catch((e2: unknown) => core.warning(`GitHub deployment status: ${errorMessage(e2)}`))
        }
        const report = await writeReport('deploy-atomic', started, false, {
          error: message,
          target: i.target,
          path: i.path,
          environment: environment ?? null,
          githubDeployment: deployment ? { id: deployment.id, url: deployment.url } : null
        })
        setOutputs('deploy-atomic', { report })
        await writeSummary(deployFailureSummary(message, environment))
        if (e instanceof Error && e.stack) core.debug(e.stack)
        throw new UserError(message)
      } finally {
        for (const t of targets) await t.close()
      }

      if (gh && deployment) {
        // The release is live: a GitHub API failure now is a warning, not a reason to fail (and roll back) the deploy.
        await gh
          .createDeploymentStatus({
            deploymentId: deployment.id,
            state: 'success',
            description: `release ${result.id} is live`,
            environment,
            logUrl: notify?.runUrl()
          })
          .catch((e: unknown) => core.warning(`GitHub deployment status: ${errorMessage(e)}`))
      }

      const report = await writeReport('deploy-atomic', started, true, {
        releaseId: result.id,
        previousReleaseId: result.previous ?? null,
        releasePath: result.path,
        target: i.target,
        path: i.path,
        environment: environment ?? null,
        manifest: result.manifest,
        targets: result.targets,
        timings: result.timings,
        githubDeployment: deployment ? { id: deployment.id, url: deployment.url } : null
      })
      await writeSummary(deploySummary(result, environment, deployment?.url))
      setOutputs('deploy-atomic', {
        'release-id': result.id,
        'previous-release-id': result.previous ?? '',
        'release-path': result.path,
        report
      })
      core.info(`release ${result.id} is live (previous: ${result.previous ?? 'none'})`)
    } finally {
      source.dispose()
      for (const t of targets) await t.close()
    }
  })
}
