/** insights: read inputs → read each environment's record → the four keys → outputs, summary, report. */
import * as core from '@actions/core'
import { InputError, parseInputs, runAction, setOutputs, writeReport, writeSummary } from '@gantry/core'
import {
  NA,
  checkout,
  insights,
  insightsSummary,
  readHost,
  type Checkout,
  type EnvironmentRecord
} from '@gantry/insights'
import { resolve } from 'node:path'
import { inputs, type EnvironmentPath } from './inputs.js'

/** Reads every host before anything is written: one unreadable history fails the step naming its input. */
function readEnvironments(list: EnvironmentPath[], input: string): EnvironmentRecord[] {
  const byName = new Map<string, EnvironmentRecord>()
  for (const { name, path } of list) {
    let host
    try {
      host = readHost(`${name}:${path}`, resolve(path))
    } catch (e) {
      throw new InputError(`Input '${input}': ${(e as Error).message}`)
    }
    const env = byName.get(name) ?? { name, hosts: [] }
    env.hosts.push(host)
    byName.set(name, env)
  }
  return [...byName.values()]
}

export async function run(): Promise<void> {
  await runAction(async () => {
    const started = new Date()
    const i = parseInputs('insights', inputs)
    if (i.environments && i.path)
      throw new InputError("Input 'environments' and input 'path' are both set: give one (path is one environment)")
    const list = i.environments ?? [{ name: 'production', path: i.path ?? '' }]
    if (!i.environments && !i.path)
      throw new InputError("Input 'path' is required (or 'environments': name=path lines)")
    const envs = readEnvironments(list, i.environments ? 'environments' : 'path')
    let repo: Checkout | undefined
    if (i['repository-path']) {
      try {
        repo = checkout(i['repository-path'])
      } catch (e) {
        throw new InputError(
          `Input 'repository-path' has invalid value '${i['repository-path']}': not a git checkout (${(e as Error).message.split('\n')[0]})`
        )
      }
    }
    const commits = !repo
      ? 'No repository-path: lead times read n/a (give a checkout with fetch-depth: 0).'
      : repo.shallow
        ? 'repository-path is a shallow clone: releases whose commits it lacks read n/a (use fetch-depth: 0).'
        : undefined
    if (commits) core.info(commits)
    const r = insights(envs, { windowMs: i.window, commits: repo?.lookup })
    const k = r.keys
    const outputs = {
      'deployment-frequency': Number(k.deploymentFrequency.toFixed(6)),
      'lead-time': k.leadTime === undefined ? NA : Math.round(k.leadTime),
      'change-failure-rate': k.changeFailureRate === undefined ? NA : Number(k.changeFailureRate.toFixed(6)),
      'time-to-restore': k.timeToRestore === undefined ? NA : Math.round(k.timeToRestore),
      level: k.level
    }
    core.info(
      `level ${k.level}: ${k.deployments} deploys, lead time ${outputs['lead-time']}, failure rate ${outputs['change-failure-rate']}, restore ${outputs['time-to-restore']}`
    )
    const report = await writeReport('insights', started, true, {
      window: r.window,
      keys: r.keys,
      environments: r.environments,
      weeks: r.weeks,
      deployments: r.deployments,
      ...(commits ? { commits } : {})
    })
    await writeSummary(insightsSummary(r, { commits }))
    setOutputs('insights', { ...outputs, report })
  })
}
