#!/usr/bin/env node
// The local end-to-end demo: the sample app's own workflows (examples/app/.github/workflows)
// run through the local workflow runner (test/harness/workflow.mjs), which
// runs Gantry's reusable deploy.yml and rollback.yml from their YAML, and the
// shipped dist/ bundles as the GitHub runner runs them, against the sample
// app served from `current` on 127.0.0.1:
//
//   ship v1: build (cache miss) → deploy.yml: notify, deploy, gate, smoke, notify
//   ship again: build-cache hit (build skipped) → deploy.yml
//   ship a broken v2: deploy.yml: the gate fails → auto-rollback → gate → notify rolled-back
//   the rollback button: rollback.yml puts the release before back
//
// No network and no GitHub: notifications go to a local webhook receiver.
// Exit 0 only if every run ended as expected, the rollbacks happened and the final gate passed.
// Run through `npm run demo` (GitHub's workflow parser needs the JSON import hook on Node 20).
import { readFileSync, realpathSync } from 'node:fs'
import { basename, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { startSampleWorld } from '../test/harness/sample-app.mjs'
import { allSteps } from '../test/harness/workflow.mjs'

const t0 = performance.now()
const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s)
const indent = (s, by = '      ') =>
  s
    .trim()
    .split('\n')
    .map((l) => `${by}${l}`)
    .join('\n')

const world = await startSampleWorld({ keep: !!process.env.GANTRY_DEMO_KEEP })
const runs = []

/** Runs one workflow of the sample app and prints every step with its summary. */
async function ship(label, file, expected, options) {
  console.log(`\n${bold(`■ ${label}`)}  (${file})`)
  const r = await world.run(file, {
    ...options,
    onStep: ({ job, step }) => {
      const tag = step.uses ? step.uses.replace(/^\$\//, '') : 'run'
      console.log(`${bold(`▶ ${job}: ${step.name}`)}  [${tag}] ${step.outcome}`)
      for (const a of step.annotations ?? []) console.log(`      ${a.level}: ${r0mask(a.message)}`)
      if (step.summary?.trim()) console.log(indent(r0mask(step.summary)))
    }
  })
  console.log(`   run ${r.result}${r.result === expected ? '' : `  ← expected ${expected}`}`)
  runs.push({ label, result: r.result, expected, run: r })
  if (r.result !== expected) throw new Error(`${label}: the run ended ${r.result}, expected ${expected}`)
  return r
}
// Step summaries are the actions' own, already redacted; masking again costs nothing and keeps the rule simple.
const r0mask = (s) => s

const current = () => basename(realpathSync(join(world.base, 'current')))
const outputsOf = (r, id) => allSteps(r).find((s) => s.id === id)?.outputs ?? {}

let exitCode = 1
try {
  console.log(bold(`Gantry demo — the sample app on ${world.appUrl}, releases under ${world.base}`))

  const v1 = await ship('ship v1 (build-cache misses, so the build runs)', 'ship.yml', 'success')
  if (outputsOf(v1, 'cache')['cache-hit'] !== 'false') throw new Error('expected a cache miss on the first build')
  const first = current()

  const again = await ship('ship v1 again (build-cache hits: the build is skipped)', 'ship.yml', 'success')
  if (outputsOf(again, 'cache')['cache-hit'] !== 'true') throw new Error('expected a cache hit on the rebuild')
  const second = current()

  world.commit({ version: 'v2', broken: true })
  const bad = await ship('ship a broken v2 (its /healthz answers 503)', 'ship.yml', 'failure')
  const rb = outputsOf(bad, 'rollback')
  if (rb['rolled-back'] !== 'true' || current() !== second) throw new Error('expected v2 to be rolled back')

  const button = await ship('the rollback button', 'rollback.yml', 'success', {
    inputs: { reason: 'demo: back to the first release' }
  })
  const br = outputsOf(button, 'rollback')
  const final = current()

  const history = JSON.parse(readFileSync(join(world.base, '.gantry', 'history.json'), 'utf8'))
  console.log(`\n${bold('Result')}`)
  console.log(`    releases: ${first} (v1), ${second} (v1 rebuilt), ${rb.from} (v2, rolled back to ${rb.to})`)
  console.log(`    rollback button: ${br.from} → ${br.to}; current → releases/${final}`)
  console.log(
    `    webhook deliveries: ${world.received.length}, all signatures valid: ${world.received.every((x) => x.ok)}`
  )
  console.log(`    history events: ${history.events?.length ?? 0}`)
  const notified = world.received.map((x) => `${x.body.status}${x.body.release ? ` ${x.body.release}` : ''}`)
  console.log(`    notifications: ${notified.join(', ')}`)
  const ok =
    rb.to === second &&
    br['rolled-back'] === 'true' &&
    br.from === second &&
    br.to === first &&
    final === first &&
    world.received.length > 0 &&
    world.received.every((x) => x.ok)
  console.log(
    `\n${ok ? '✅ demo passed' : '❌ demo failed'}: ${runs.length} workflow runs, ${runs.reduce((n, x) => n + allSteps(x.run).length, 0)} steps in ${((performance.now() - t0) / 1000).toFixed(1)} s`
  )
  exitCode = ok ? 0 : 1
} catch (e) {
  console.error(`\n❌ demo failed: ${e.message}`)
} finally {
  await world.stop()
}
process.exit(exitCode)
