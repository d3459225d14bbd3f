#!/usr/bin/env node
// The local workflow runner's own cost (test/harness/workflow.mjs): parsing and
// checking the YAML, evaluating expressions, bookkeeping — everything but the
// time inside the steps' processes and the stand-ins — per step, over the
// sample app's runs that `npm run demo` makes (ship.yml → deploy.yml three
// times, rollback.yml once); and the demo's whole time, process start included.
// There is no peer that runs here: nektos/act needs a Docker engine.
import { spawnSync } from 'node:child_process'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { startSampleWorld } from '../test/harness/sample-app.mjs'
import { repoRoot } from '../test/harness/runner.mjs'
import { fmt, median, writeSection } from './lib/util.mjs'

const load = loadavg()[0]
const ROUNDS = 3
const perStep = []
const perRun = { ship: [], rollback: [] }
let steps = 0
for (let round = 0; round < ROUNDS; round++) {
  const world = await startSampleWorld()
  try {
    const runs = []
    runs.push(['ship', await world.run('ship.yml')])
    runs.push(['ship', await world.run('ship.yml')])
    world.commit({ version: 'v2', broken: true })
    runs.push(['ship', await world.run('ship.yml')])
    runs.push(['rollback', await world.run('rollback.yml', { inputs: { reason: 'bench' } })])
    for (const [kind, r] of runs) {
      perStep.push(r.runnerCost.ms / r.runnerCost.steps)
      perRun[kind].push(r.runnerCost.ms)
      if (round === 0) steps += r.runnerCost.steps
    }
  } finally {
    await world.stop()
  }
}

const demo = []
for (let i = 0; i < 2; i++) {
  const t = performance.now()
  const r = spawnSync(process.execPath, ['--import', './scripts/json-import-hook.mjs', join('scripts', 'demo.mjs')], {
    cwd: repoRoot,
    encoding: 'utf8'
  })
  if (r.status !== 0) {
    console.error(r.stdout.slice(-2000), r.stderr.slice(-2000))
    process.exit(1)
  }
  demo.push(performance.now() - t)
}

const stepMs = median(perStep)
const demoMs = median(demo)
writeSection(
  'workflow-runner',
  `## workflow runner (local runs of the workflows' YAML)

Shared 2-core machine, load average ${load.toFixed(1)} when the run started. ${ROUNDS} rounds of the sample app's four runs (ship.yml → deploy.yml for v1, v1 again, a broken v2 that is rolled back; then rollback.yml), ${steps} steps a round, skipped and post steps included.

| measure | value |
| --- | --- |
| the runner's own cost per step (parse and check every file with GitHub's parser, evaluate every expression, bookkeeping; the time inside the steps' processes and the stand-ins left out), median over runs | ${fmt(stepMs, 1)} ms |
| its own cost for a ship.yml → deploy.yml run, median | ${fmt(median(perRun.ship), 0)} ms |
| its own cost for a rollback.yml run, median | ${fmt(median(perRun.rollback))} ms |
| \`npm run demo\` (its four runs, process start included), median of ${demo.length} | ${fmt(demoMs / 1000, 1)} s |

Goals: runner cost per step ≤ 20 ms — ${fmt(stepMs, 1)} ms, **${stepMs <= 20 ? 'met' : 'not met'}**; \`npm run demo\` under 30 s — ${fmt(demoMs / 1000, 1)} s, **${demoMs < 30_000 ? 'met' : 'not met'}**.
No peer runs here: nektos/act, the usual local runner, needs a Docker engine. Most of the demo's time is the gates' waits (three passes in a row at 250 ms, then 20 samples) and the rollback's gate waiting out \`health-max-wait\` on the broken release.
`
)
console.log(`runner per step ${fmt(stepMs, 1)} ms; demo ${fmt(demoMs / 1000, 1)} s`)
