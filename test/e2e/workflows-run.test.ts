// The reusable workflows run from their YAML through the local workflow runner
// (test/harness/workflow.mjs): the sample app's ship.yml → Gantry's deploy.yml,
// rollback.yml through the sample app's rollback button, and pipeline.yml →
// deploy.yml. Every action is the committed bundle; the app, its releases and
// the webhook receiver are real, on 127.0.0.1.
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals'
import { existsSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { startSampleWorld } from '../harness/sample-app.mjs'
import { allSteps, type WorkflowRun } from '../harness/workflow.mjs'
import { start as startCacheService } from '../harness/workflow/cache-service.mjs'

jest.setTimeout(120_000)

type World = Awaited<ReturnType<typeof startSampleWorld>>
let world: World
beforeEach(async () => {
  world = await startSampleWorld()
})
afterEach(async () => {
  await world.stop()
})

const step = (r: WorkflowRun, name: string) => {
  const s = allSteps(r).find((x) => x.name === name)
  if (!s)
    throw new Error(
      `no step '${name}' in ${allSteps(r)
        .map((x) => x.name)
        .join(', ')}`
    )
  return s
}
const current = () => basename(realpathSync(join(world.base, 'current')))
const notified = () =>
  world.received.map((x) => ({
    status: x.body.status,
    release: x.body.releaseId
  }))
const history = () =>
  JSON.parse(readFileSync(join(world.base, '.gantry', 'history.json'), 'utf8')) as {
    releases: { id: string; bad?: { reason: string } }[]
  }

describe('ship.yml → deploy.yml', () => {
  test('a good release: deployed, gated, smoke-tested, notified; nothing rolled back', async () => {
    const r = await world.run('ship.yml')
    expect(r.result).toBe('success')
    const deploy = r.jobs.deploy
    expect(deploy.resolved).toEqual({ repo: 'gantry-dev/gantry', ref: 'v1', path: '.github/workflows/deploy.yml' })
    const release = step(r, 'Deploy').outputs!['release-id']
    expect(current()).toBe(release)
    expect(deploy.outputs).toEqual({ 'release-id': release, healthy: 'true', 'rolled-back': 'false', slot: '' })
    expect(step(r, 'Smoke tests').outcome).toBe('success')
    expect(step(r, 'Roll back').outcome).toBe('skipped')
    expect(notified()).toEqual([
      { status: 'started', release: null },
      { status: 'success', release }
    ])
    // The job records what GitHub would apply: the environment and one deploy at a time per environment.
    const job = deploy.jobs!.deploy
    expect(job.environment).toEqual({ name: 'production', url: world.appUrl })
    expect(job.concurrency).toEqual({ group: 'gantry-deploy-production', cancelInProgress: false })
  })

  test('a release that fails the gate is rolled back, and the run says so', async () => {
    await world.run('ship.yml')
    const good = current()
    world.commit({ version: 'v2', broken: true })
    const r = await world.run('ship.yml')
    expect(r.result).toBe('failure')
    const bad = step(r, 'Deploy').outputs!['release-id']
    expect(step(r, 'Health gate').outcome).toBe('failure')
    expect(step(r, 'Smoke tests').outcome).toBe('skipped')
    expect(step(r, 'Roll back').outputs).toMatchObject({ 'rolled-back': 'true', from: bad, to: good })
    expect(step(r, 'Gate the restored release').outcome).toBe('success')
    expect(step(r, 'Verdict').annotations).toEqual([
      expect.objectContaining({ level: 'error', message: `release ${bad} was rolled back` })
    ])
    expect(current()).toBe(good)
    expect(r.jobs.deploy.outputs['rolled-back']).toBe('true')
    expect(notified().slice(-1)).toEqual([{ status: 'rolled-back', release: bad }])
  })

  test('a release that passes the gate but fails smoke is rolled back', async () => {
    await world.run('ship.yml')
    const good = current()
    // Healthy, but the smoke spec wants a version matching ^v\d+.
    world.commit({ version: 'release-2' })
    const r = await world.run('ship.yml')
    expect(r.result).toBe('failure')
    expect(step(r, 'Health gate').outcome).toBe('success')
    expect(step(r, 'Smoke tests').outcome).toBe('failure')
    expect(step(r, 'Roll back').outputs).toMatchObject({ 'rolled-back': 'true', to: good })
    expect(step(r, 'Roll back').inputs!.reason).toMatch(/failed smoke-test$/)
    expect(current()).toBe(good)
  })

  test('a first deploy that fails has nothing to roll back to: the run fails and says why', async () => {
    world.commit({ version: 'v1', broken: true })
    const r = await world.run('ship.yml')
    expect(r.result).toBe('failure')
    const rb = step(r, 'Roll back')
    expect(rb.outcome).toBe('failure')
    expect(rb.annotations!.map((a) => a.message).join('\n')).toMatch(/no .*release/i)
    expect(notified().slice(-1)[0].status).toBe('failure')
  })

  test('a smoke spec that is not there fails before anything changes (one line), instead of rolling back', async () => {
    await world.run('ship.yml')
    const good = current()
    const notes = world.received.length
    rmSync(join(world.project, 'smoke.yml'))
    world.commit({ version: 'v2' })
    const r = await world.run('ship.yml')
    expect(r.result).toBe('failure')
    const check = step(r, 'Check the smoke spec')
    expect(check.annotations).toEqual([
      expect.objectContaining({
        level: 'error',
        message: expect.stringMatching(/^Input 'smoke-spec' is 'smoke.yml', which is not a file/)
      })
    ])
    for (const name of ['Notify started', 'Deploy', 'Health gate', 'Roll back'])
      expect(step(r, name).outcome).toBe('skipped')
    expect(current()).toBe(good)
    // Only the result is notified: a deploy that never started.
    expect(notified().slice(notes)).toEqual([{ status: 'failure', release: null }])
  })
})

describe('deploy.yml with several health URLs', () => {
  test('the gate and the rollback check every URL (one per line), not one joined string', async () => {
    // The sample app's ship.yml with a second health URL, as a user would write it.
    const ship = readFileSync(join(world.project, '.github', 'workflows', 'ship.yml'), 'utf8')
    const two = ship.replace(
      'health-url: ${{ vars.APP_URL }}/healthz',
      'health-url: |\n        ${{ vars.APP_URL }}/healthz\n        ${{ vars.APP_URL }}/api/version'
    )
    expect(two).not.toBe(ship)
    writeFileSync(join(world.project, '.github', 'workflows', 'ship-two-urls.yml'), two)
    await world.run('ship-two-urls.yml')
    const good = current()
    world.commit({ version: 'v2', broken: true })
    const r = await world.run('ship-two-urls.yml')
    const rb = step(r, 'Roll back')
    expect(rb.inputs!['health-url'].trimEnd().split('\n')).toEqual([
      `${world.appUrl}/healthz`,
      `${world.appUrl}/api/version`
    ])
    expect(rb.outcome).toBe('success')
    expect(rb.outputs).toMatchObject({ 'rolled-back': 'true', to: good })
    expect(rb.summary).toContain(`${world.appUrl}/api/version`)
    expect(current()).toBe(good)
  })
})

describe('the rollback button (rollback.yml)', () => {
  test('puts the previous good release back and notifies the release it left, not the one now serving', async () => {
    await world.run('ship.yml')
    const first = current()
    world.commit({ version: 'v2' })
    await world.run('ship.yml')
    const second = current()
    expect(second).not.toBe(first)
    const r = await world.run('rollback.yml', { inputs: { reason: 'customers report errors' } })
    expect(r.result).toBe('success')
    expect(r.jobs.rollback.outputs).toEqual({ from: second, to: first, 'rolled-back': 'true' })
    expect(current()).toBe(first)
    expect(notified().slice(-1)).toEqual([{ status: 'rolled-back', release: second }])
    expect(history().releases.find((x) => x.id === second)).toMatchObject({
      bad: { reason: 'customers report errors' }
    })
  })
})

describe('pipeline.yml → deploy.yml', () => {
  test('quality → test → build → staging → production, each deploy through deploy.yml of the same commit', async () => {
    // A caller that pins pipeline.yml to a commit; deploy.yml must come from that same commit.
    const pinned = 'c0ffee0000000000000000000000000000000001'
    const r = await world.run(`gantry-dev/gantry/.github/workflows/pipeline.yml@${pinned}`, {
      event: 'workflow_call',
      inputs: {
        'install-command': 'true',
        'lint-command': 'test -f build.mjs',
        'test-command': 'node -e "process.exit(0)"',
        'build-command': 'node build.mjs dist v7',
        'build-output': 'dist',
        path: world.base,
        target: 'local',
        'staging-url': world.appUrl,
        'production-url': world.appUrl,
        'smoke-spec': 'smoke.yml'
      },
      secrets: { GANTRY_WEBHOOK: world.webhook, GANTRY_WEBHOOK_SECRET: world.secrets.DEPLOY_WEBHOOK_SECRET }
    })
    expect(r.result).toBe('success')
    expect(Object.keys(r.jobs)).toEqual(['quality', 'test', 'build', 'staging', 'production'])
    for (const env of ['staging', 'production'])
      expect(r.jobs[env].resolved).toEqual({
        repo: 'gantry-dev/gantry',
        ref: pinned,
        path: '.github/workflows/deploy.yml'
      })
    expect(r.outputs['rolled-back']).toBe('false')
    expect(r.outputs['release-id']).toBe(current())
    expect(JSON.parse(readFileSync(join(world.base, 'current', 'version.json'), 'utf8')).version).toBe('v7')
    expect(existsSync(join(world.base, 'current', 'HEALTHY'))).toBe(true)
  })

  test('a release that fails its gate in staging is rolled back there, and production never runs', async () => {
    const inputs = {
      'install-command': 'true',
      'lint-command': '',
      'test-command': 'true',
      'build-command': 'node build.mjs dist v1',
      'health-max-wait': '3s',
      'health-interval': '250ms',
      path: world.base,
      target: 'local',
      'staging-url': world.appUrl,
      'production-url': world.appUrl,
      'smoke-spec': 'smoke.yml'
    }
    const pipeline = 'gantry-dev/gantry/.github/workflows/pipeline.yml@v1'
    const secrets = { GANTRY_WEBHOOK: world.webhook, GANTRY_WEBHOOK_SECRET: world.secrets.DEPLOY_WEBHOOK_SECRET }
    expect((await world.run(pipeline, { event: 'workflow_call', inputs, secrets })).result).toBe('success')
    const good = current()
    const r = await world.run(pipeline, {
      event: 'workflow_call',
      inputs: { ...inputs, 'build-command': 'node build.mjs dist v2 --broken', 'lint-command': 'true' },
      secrets
    })
    expect(r.result).toBe('failure')
    expect(r.jobs.quality.steps!.find((x) => x.name === 'Lint')!.outcome).toBe('success')
    expect(r.jobs.staging.result).toBe('failure')
    expect(r.jobs.staging.outputs['rolled-back']).toBe('true')
    expect(r.jobs.production.result).toBe('skipped')
    expect(current()).toBe(good)
  })

  test('run twice sharing one cache service: build-cache misses and builds, then hits and skips Install and Build', async () => {
    const service = await startCacheService({ dir: join(world.base, '..', 'cache-service') })
    // @actions/cache versions an entry by its paths, and build-cache stages under RUNNER_TEMP: fixed on a hosted
    // runner (/home/runner/work/_temp), per job in the local runner unless runnerTemp names one, as here.
    const runnerTemp = join(world.base, '..', 'runner-temp')
    // Install also runs in quality and test: the build job's steps.
    const built = (r: WorkflowRun, name: string) => allSteps(r).find((x) => x.job === 'build' && x.name === name)
    const pipeline = () =>
      world.run('gantry-dev/gantry/.github/workflows/pipeline.yml@main', {
        event: 'workflow_call',
        cacheService: service,
        runnerTemp,
        inputs: {
          'install-command': 'true',
          'lint-command': 'test -f build.mjs',
          'test-command': 'node -e "process.exit(0)"',
          'build-command': 'node build.mjs dist v8',
          'build-output': 'dist',
          path: world.base,
          target: 'local',
          'staging-url': world.appUrl,
          'production-url': world.appUrl,
          'smoke-spec': 'smoke.yml'
        },
        secrets: { GANTRY_WEBHOOK: world.webhook, GANTRY_WEBHOOK_SECRET: world.secrets.DEPLOY_WEBHOOK_SECRET }
      })
    try {
      const first = await pipeline()
      expect(first.result).toBe('success')
      expect(built(first, 'Restore the build if its inputs did not change')?.outputs?.['cache-hit']).toBe('false')
      expect(built(first, 'Install')?.outcome).toBe('success')
      expect(built(first, 'Build')?.outcome).toBe('success')
      expect(service.requests.filter((x) => x.rpc === 'FinalizeCacheEntryUpload' && x.response?.ok)).not.toHaveLength(0)

      const second = await pipeline()
      expect(second.result).toBe('success')
      expect(built(second, 'Restore the build if its inputs did not change')?.outputs?.['cache-hit']).toBe('true')
      expect(built(second, 'Install')?.outcome).toBe('skipped')
      expect(built(second, 'Build')?.outcome).toBe('skipped')
      expect(JSON.parse(readFileSync(join(world.base, 'current', 'version.json'), 'utf8')).version).toBe('v8')
      expect(service.requests.every((x) => x.status !== undefined && x.status < 500)).toBe(true)
    } finally {
      await service.close()
    }
  })
})
