/**
 * build-cache: main computes a key per component from git's index and
 * restores what it can; the post step (same bundle, STATE_isPost) saves what
 * missed. Thin adapter: the work is in @gantry/cachekey.
 */
import * as core from '@actions/core'
import { stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import {
  getState,
  InputError,
  isPost,
  parseInputs,
  runAction,
  saveState,
  setOutputs,
  writeReport,
  writeSummary
} from '@gantry/core'
import {
  backendValues,
  checkBackend,
  makeBackend,
  mainSummary,
  makePlan,
  postSummary,
  restoreUnits,
  saveUnits,
  readHandoff,
  writeHandoff
} from '@gantry/cachekey'
import { inputs } from './inputs.js'

const ACTION = 'build-cache'

/**
 * A post step cannot see the job's status, and post-if cannot see the action's
 * inputs; it does see the job's env, which includes what earlier steps wrote to
 * GITHUB_ENV. So main, for save: always, sets this, and action.yml's post-if is
 * `success() || env.<this> == 'true'`.
 */
export const SAVE_ALWAYS_ENV = 'GANTRY_BUILD_CACHE_SAVE_ALWAYS'

type Inputs = ReturnType<typeof readInputs>

function readInputs() {
  return parseInputs(ACTION, inputs)
}

/** Checks that need the file system; still before any side effect. */
async function settle(i: Inputs): Promise<string> {
  const root = resolve(process.cwd(), i['working-directory'])
  const st = await stat(root).catch(() => undefined)
  if (!st?.isDirectory()) {
    throw new InputError(
      `Input 'working-directory' has invalid value '${i['working-directory']}': expected an existing directory`
    )
  }
  checkBackend(i)
  return root
}

const OS_NAMES: Record<string, string> = { linux: 'Linux', darwin: 'macOS', win32: 'Windows' }

function platform(): { os: string; arch: string } {
  return {
    os: process.env.RUNNER_OS || OS_NAMES[process.platform] || process.platform,
    arch: process.env.RUNNER_ARCH || process.arch.toUpperCase()
  }
}

async function main(): Promise<void> {
  const started = new Date()
  const i = readInputs()
  const root = await settle(i)
  const { os, arch } = platform()
  const plan = await makePlan({
    root,
    prefix: i['key-prefix'],
    os,
    arch,
    outputs: i.path,
    keyFiles: i['key-files'],
    components: i.components
  })

  // Side effects start here. isPost first (as actions/checkout does): from now on the post step
  // knows it is the post step whatever happens next.
  saveState(ACTION, 'isPost', 'true')
  if (i.save === 'always') core.exportVariable(SAVE_ALWAYS_ENV, 'true')
  const cwd = process.cwd()
  const backend = makeBackend(i, { cwd })
  const t0 = performance.now()
  const results = await restoreUnits(plan.units, backend, {
    root,
    prefix: i['key-prefix'],
    os,
    arch,
    verify: i.verify,
    warn: (m) => core.warning(m)
  })
  const restoreMs = Math.round(performance.now() - t0)

  const indexes = new Map(plan.units.map((u) => [u.dir, u.index]))
  const planPath = await writeHandoff(join(process.env.RUNNER_TEMP || tmpdir(), 'gantry-build-cache'), {
    schema: 1,
    root,
    backend: backendValues(i),
    cwd,
    units: results.map((r) => ({
      dir: r.dir,
      key: r.key,
      base: r.base,
      hit: r.status === 'hit',
      outputs: plan.outputs[r.dir],
      index: indexes.get(r.dir) ?? ''
    }))
  })
  saveState(ACTION, 'plan', planPath)

  const changed = results.filter((r) => r.status !== 'hit').map((r) => r.dir)
  const unchanged = results.filter((r) => r.status === 'hit').map((r) => r.dir)
  const cacheHit = changed.length === 0
  const timings = { ...plan.timings, restoreMs, totalMs: Date.now() - started.getTime() }
  const report = await writeReport(ACTION, started, true, {
    step: 'main',
    key: plan.key,
    hash: plan.hash,
    cacheHit,
    backend: i.backend,
    workingDirectory: root,
    nodeVersion: plan.nodeVersion,
    listing: plan.listing,
    globalFiles: plan.globalFiles,
    excludedOutputs: plan.excludedOutputs,
    timings,
    changed,
    unchanged,
    components: results
  })
  setOutputs(ACTION, {
    'cache-hit': cacheHit,
    key: plan.key,
    hash: plan.hash,
    changed,
    unchanged,
    report
  })
  await writeSummary(
    mainSummary(results, {
      key: plan.key,
      backend: i.backend,
      files: plan.listing.files,
      source: plan.listing.source,
      listMs: plan.timings.listMs,
      keysMs: plan.timings.keysMs
    })
  )
  core.info(`build-cache: ${unchanged.length} restored, ${changed.length} to build: ${JSON.stringify(changed)}`)
}

async function post(): Promise<void> {
  const started = new Date()
  const i = readInputs()
  const planPath = getState(ACTION, 'plan')
  if (!planPath) {
    core.info('build-cache: main did not finish, so there is nothing to save')
    return
  }
  if (i.save === 'never') {
    await writeSummary('### build-cache post: not saving (save: never)')
    return
  }
  if (i.save === 'on-success' && process.env[SAVE_ALWAYS_ENV] === 'true') {
    // post-if held through the variable an always step set, so the job may have failed: we cannot tell.
    const why =
      "another build-cache step of this job has save: always, so the runner runs every build-cache post step whatever the job's status, and a post step cannot see that status"
    core.warning(
      `build-cache: not saving (save: on-success): ${why}. Give every build-cache step of a job the same 'save' value.`
    )
    await writeSummary(`### build-cache post: not saving (save: on-success; the job's status is unknown: ${why})`)
    return
  }
  const plan = await readHandoff(planPath)
  const backend = makeBackend(plan.backend, { cwd: plan.cwd })
  const outcomes = await saveUnits(plan.units, backend, plan.root, (m) => core.warning(m))
  const report = await writeReport(ACTION, started, true, { step: 'post', save: i.save, outcomes })
  core.info(`build-cache: post report ${report}`)
  await writeSummary(postSummary(outcomes, i.save))
}

export async function run(): Promise<void> {
  await runAction(() => (isPost() ? post() : main()))
}
