#!/usr/bin/env node
// The local end-to-end demo: the shipped dist/ bundles, run as the GitHub
// runner runs them (test/harness/runner.mjs), in the order of deploy.yml,
// against the sample app (examples/app) served from `current` on 127.0.0.1.
//
//   build (cache miss) → deploy v1 → gate → smoke → notify
//   rebuild (cache hit)
//   deploy a broken v2 → gate fails → auto-rollback restores v1 → gate passes → notify
//
// No network and no GitHub: notifications go to a local webhook receiver.
// Exit 0 only if the scripted rollback happened and the final gate passed.
import { spawn, spawnSync } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { createServer } from 'node:http'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { repoRoot, runAction } from '../test/harness/runner.mjs'

const t0 = performance.now()
const work = mkdtempSync(join(tmpdir(), 'gantry-demo-'))
const appSrc = join(repoRoot, 'examples', 'app')
const project = join(work, 'project') // the "repository" being built
const base = join(work, 'srv') // the deploy target's <path>
const cacheDir = join(work, 'cache')
const runnerTemp = join(work, 'runner-temp')
for (const d of [project, base, cacheDir, runnerTemp]) mkdirSync(d, { recursive: true })
cpSync(appSrc, project, { recursive: true })
const webhookSecret = 'demo-webhook-secret'

const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s)
const indent = (s) =>
  s
    .trim()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n')
const steps = []

/** Runs one action bundle and prints its summary; returns the result. */
async function step(action, label, inputs, { expectFailure = false, beforePost } = {}) {
  console.log(`\n${bold(`▶ ${action}`)} — ${label}`)
  const r = await runAction(action, {
    inputs,
    runnerTemp,
    workspace: project,
    cwd: project,
    timeoutMs: 120_000,
    beforePost
  })
  const failed = r.code !== 0
  steps.push({ action, label, code: r.code })
  for (const a of r.annotations) console.log(`    ${a.level}: ${a.message}`)
  if (r.summary.trim()) console.log(indent(r.summary))
  if (r.post?.summary.trim()) console.log(indent(r.post.summary))
  const outs = Object.entries(r.outputs)
    .filter(([k]) => k !== 'report')
    .map(([k, v]) => `${k}=${v.length > 60 ? `${v.slice(0, 57)}...` : v}`)
  if (outs.length) console.log(`    outputs: ${outs.join(' ')}`)
  console.log(`    exit ${r.code}${failed === expectFailure ? '' : '  ← unexpected'}`)
  if (failed !== expectFailure) throw new Error(`${action} (${label}) exited ${r.code}`)
  return r
}

// A local webhook receiver stands in for Slack/Teams: it checks the signature.
const received = []
const receiver = createServer((req, res) => {
  let body = ''
  req.on('data', (d) => (body += d))
  req.on('end', () => {
    const sig = createHmac('sha256', webhookSecret).update(body).digest('hex')
    const ok = req.headers['x-gantry-signature'] === `sha256=${sig}`
    received.push({ ok, body: JSON.parse(body || '{}') })
    res.writeHead(ok ? 200 : 401).end()
  })
})
await new Promise((r) => receiver.listen(0, '127.0.0.1', r))
const webhook = `http://127.0.0.1:${receiver.address().port}/hooks/deploy`

// The sample app: a server that serves whatever release `current` names.
const app = spawn(process.execPath, [join(appSrc, 'serve.mjs'), base, '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
const port = await new Promise((resolve, reject) => {
  app.stdout.setEncoding('utf8').once('data', (d) => resolve(Number(String(d).trim())))
  app.once('exit', (c) => reject(new Error(`sample app exited ${c}`)))
})
const appUrl = `http://127.0.0.1:${port}`

const cacheInputs = { path: 'dist', 'key-files': 'src/**\nbuild.mjs', backend: 'local', 'local-dir': cacheDir }
const notifyInputs = { environment: 'demo', 'environment-url': appUrl, webhook, 'webhook-secret': webhookSecret }
const target = { path: base, target: 'local' }
const gateInputs = { url: `${appUrl}/healthz`, interval: '200ms', 'max-wait': '5s', samples: '20' }

let exitCode = 1
try {
  console.log(bold(`Gantry demo — sample app on ${appUrl}, releases under ${base}`))

  // build: cache miss → build → the post step saves
  // The build runs between build-cache's main step and its post step, as in a job.
  let built = ''
  const miss = await step('build-cache', 'build v1 (cache miss; the post step saves dist/)', cacheInputs, {
    beforePost: (main) => {
      if (main.outputs['cache-hit'] === 'true') return
      const b = spawnSync(process.execPath, [join(project, 'build.mjs'), join(project, 'dist'), 'v1'], {
        encoding: 'utf8'
      })
      built = b.stdout.trim()
    }
  })
  if (miss.outputs['cache-hit'] !== 'false' || !built)
    throw new Error('expected a cache miss and a build on the first run')
  console.log(`    (between main and post: ${built})`)
  const v1 = join(work, 'release-v1')
  cpSync(join(project, 'dist'), v1, { recursive: true })

  // deploy v1, in the order of deploy.yml
  const started = await step('notify', 'started', { ...notifyInputs, status: 'started' })
  const d1 = await step('deploy-atomic', 'deploy v1', { ...target, source: v1, 'release-id': 'v1' })
  await step('health-gate', 'gate v1', gateInputs)
  await step('smoke-test', 'smoke v1', { spec: join(project, 'smoke.yml'), 'base-url': appUrl })
  await step('notify', 'success', { ...notifyInputs, status: 'success', 'release-id': d1.outputs['release-id'] })
  void started

  // rebuild: nothing changed → cache hit, no build
  rmSync(join(project, 'dist'), { recursive: true, force: true })
  const hit = await step('build-cache', 'rebuild (cache hit: dist/ restored, build skipped)', cacheInputs)
  if (hit.outputs['cache-hit'] !== 'true') throw new Error('expected a cache hit on the rebuild')

  // a broken v2: the gate fails, auto-rollback restores v1, the gate passes
  const v2 = join(work, 'release-v2')
  spawnSync(process.execPath, [join(project, 'build.mjs'), v2, 'v2', '--broken'], { stdio: 'ignore' })
  await step('notify', 'started v2', { ...notifyInputs, status: 'started' })
  const d2 = await step('deploy-atomic', 'deploy broken v2', { ...target, source: v2, 'release-id': 'v2' })
  await step(
    'health-gate',
    'gate v2 (fails: /healthz answers 503)',
    { ...gateInputs, 'max-wait': '2s' },
    { expectFailure: true }
  )
  const rb = await step('auto-rollback', 'roll back to the last good release', {
    ...target,
    reason: `release ${d2.outputs['release-id']} failed health-gate`,
    environment: 'demo',
    'health-url': `${appUrl}/healthz`
  })
  const final = await step('health-gate', 'gate the restored release', gateInputs)
  await step('notify', 'rolled-back', {
    ...notifyInputs,
    status: 'rolled-back',
    'release-id': d2.outputs['release-id']
  })

  const current = basename(realpathSync(join(base, 'current')))
  const history = JSON.parse(readFileSync(join(base, '.gantry', 'history.json'), 'utf8'))
  console.log(`\n${bold('Result')}`)
  console.log(`    current → releases/${current}`)
  console.log(
    `    rolled back: ${rb.outputs['rolled-back']} (${rb.outputs.from} → ${rb.outputs.to}); final gate healthy: ${final.outputs.healthy}`
  )
  console.log(`    webhook deliveries: ${received.length}, all signatures valid: ${received.every((x) => x.ok)}`)
  console.log(
    `    history entries: ${Array.isArray(history.events) ? history.events.length : Object.keys(history).length}`
  )
  const ok =
    rb.outputs['rolled-back'] === 'true' &&
    rb.outputs.to === d1.outputs['release-id'] &&
    current === d1.outputs['release-id'] &&
    final.outputs.healthy === 'true' &&
    received.length === steps.filter((s) => s.action === 'notify').length &&
    received.every((x) => x.ok)
  console.log(
    `\n${ok ? '✅ demo passed' : '❌ demo failed'}: ${steps.length} steps in ${((performance.now() - t0) / 1000).toFixed(1)} s`
  )
  exitCode = ok ? 0 : 1
} catch (e) {
  console.error(`\n❌ demo failed: ${e.message}`)
} finally {
  app.kill('SIGTERM')
  receiver.closeAllConnections()
  receiver.close()
  if (!process.env.GANTRY_DEMO_KEEP) rmSync(work, { recursive: true, force: true })
}
process.exit(exitCode)
