// deploy.yml's canary strategy, from the workflow's YAML through the local
// workflow runner: two instances of the sample app serve <path>/slots/blue and
// <path>/slots/green, a small proxy in front sends each request to a slot by
// the weights a router-command writes. A release equal to the one serving is
// promoted step by step; one 40 ms slower passes its slot's own gate and smoke
// tests but the canary catches it: all traffic back on the old slot, the
// release marked bad, notify told rolled-back. Every action runs from its
// committed bundle.
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals'
import type { ChildProcess } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import type { Server } from 'node:http'
import { join } from 'node:path'
import { startSampleWorld } from '../harness/sample-app.mjs'
import { allSteps } from '../harness/workflow.mjs'
import { lbCommand } from '../helpers/lb-command.js'
import { startProxy, startSlot } from '../helpers/slot-proxy.js'

jest.setTimeout(180_000)

type World = Awaited<ReturnType<typeof startSampleWorld>>
let world: World
let slots: ChildProcess[]
let proxy: Server
let ports: Record<string, number>
let weightsFile: string
let publicUrl: string

const ROUTER = [
  '      router: command',
  '      upstream: app',
  '      servers: |',
  '        blue=blue',
  '        green=green',
  '      router-command: ${{ vars.LB_COMMAND }}'
]

beforeEach(async () => {
  world = await startSampleWorld()
  slots = []
  const slot = (name: string) => startSlot(world.project, world.base, name, slots)
  ports = { blue: await slot('blue'), green: await slot('green') }
  weightsFile = join(world.work, 'router-weights.json')
  writeFileSync(weightsFile, JSON.stringify({ blue: 100, green: 0 }))
  const started = await startProxy(weightsFile, ports)
  proxy = started.server
  publicUrl = `http://127.0.0.1:${started.port}`
  Object.assign(world.vars, {
    APP_URL: publicUrl,
    SLOT_URLS: `blue=http://127.0.0.1:${ports.blue}\ngreen=http://127.0.0.1:${ports.green}`,
    LB_COMMAND: lbCommand(world.work, weightsFile)
  })
  const dir = join(world.project, '.github', 'workflows')
  const ship = readFileSync(join(dir, 'ship.yml'), 'utf8')
  const canary = ship.replace(
    '      smoke-spec: smoke.yml\n',
    [
      '      smoke-spec: smoke.yml',
      '      strategy: canary',
      '      slot-urls: ${{ vars.SLOT_URLS }}',
      ...ROUTER,
      '      canary-steps: 10%,50%,100%',
      '      canary-bake: 1s',
      '      canary-requests: 60',
      '      canary-path: /api/version',
      ''
    ].join('\n')
  )
  expect(canary).not.toBe(ship)
  writeFileSync(join(dir, 'ship-canary.yml'), canary)
  // What serves before the first canary, set up once as a user would: v0 in the blue slot with all the traffic.
  writeFileSync(
    join(dir, 'bootstrap.yml'),
    [
      'name: bootstrap',
      'on: workflow_dispatch',
      'permissions:',
      '  contents: read',
      'jobs:',
      '  blue:',
      '    runs-on: self-hosted',
      '    steps:',
      '      - uses: actions/checkout@v5',
      '      - run: node build.mjs "$RUNNER_TEMP/v0" v0',
      '      - uses: gantry-dev/gantry/actions/deploy-atomic@v1',
      '        with:',
      '          source: ${{ runner.temp }}/v0',
      '          path: ${{ vars.APP_PATH }}',
      '          slot: blue',
      '      - uses: gantry-dev/gantry/actions/traffic@v1',
      '        with:',
      ...ROUTER.map((l) => `    ${l}`),
      '          weights: blue',
      '          path: ${{ vars.APP_PATH }}',
      ''
    ].join('\n')
  )
  const first = await world.run('bootstrap.yml')
  expect(first.result).toBe('success')
})

afterEach(async () => {
  proxy.closeAllConnections()
  proxy.close()
  for (const s of slots) s.kill('SIGTERM')
  await world.stop()
})

const versionAt = async (url: string) =>
  ((await (await fetch(`${url}/api/version`)).json()) as { version: string }).version
const traffic = () =>
  (
    JSON.parse(readFileSync(join(world.base, '.gantry', 'traffic.json'), 'utf8')) as {
      changes: { weights: Record<string, number>; reason?: string }[]
    }
  ).changes
const step = (run: Awaited<ReturnType<World['run']>>, name: string) =>
  allSteps(run).find((s) => s.name === name && s.job.endsWith('deploy'))

describe('deploy.yml strategy: canary', () => {
  test('an equal release is promoted in steps; a slower one is caught by the canary and the traffic goes back', async () => {
    // v1 → green (idle), gated and smoked on green's own URL, then 10%, 50%, 100%, each judged against blue (v0).
    world.commit({ version: 'v1' })
    const before = traffic().length
    const r1 = await world.run('ship-canary.yml')
    expect(r1.result).toBe('success')
    expect(step(r1, 'Health gate')?.inputs?.url).toBe(`http://127.0.0.1:${ports.green}/healthz`)
    const c1 = step(r1, 'Canary')
    expect(c1?.inputs).toMatchObject({
      'baseline-server': 'blue',
      'canary-server': 'green',
      'baseline-url': `http://127.0.0.1:${ports.blue}/api/version`,
      'canary-url': `http://127.0.0.1:${ports.green}/api/version`
    })
    expect(c1?.outputs?.verdict).toBe('promoted')
    expect(
      traffic()
        .slice(before)
        .map((c) => c.weights.green)
    ).toEqual([10, 50, 100])
    expect(step(r1, 'Gate the public URL')?.outcome).toBe('success')
    expect(step(r1, 'Move traffic to the new slot')?.outcome).toBe('skipped')
    expect(await versionAt(publicUrl)).toBe('v1')

    // v2, 40 ms slower, → blue (idle): healthy on its own URL, but slower than green (v1) at the same moments.
    world.commit({ version: 'v2', slow: 40 })
    const r2 = await world.run('ship-canary.yml')
    expect(r2.result).toBe('failure')
    expect(step(r2, 'Health gate')?.outcome).toBe('success')
    const c2 = step(r2, 'Canary')
    expect(c2?.outputs).toMatchObject({ verdict: 'aborted' })
    expect(['1', '2']).toContain(c2?.outputs?.['failed-step'])
    expect(traffic().at(-1)!.weights).toEqual({ blue: 0, green: 100 })
    expect(step(r2, 'Gate the public URL')?.outcome).toBe('skipped')
    // The canary put the traffic back and marked the release bad itself: no slot rollback on top.
    expect(step(r2, 'Roll back')?.outcome).toBe('skipped')
    expect(step(r2, 'Gate the restored release')?.outcome).toBe('success')
    expect(await versionAt(publicUrl)).toBe('v1')
    const history = JSON.parse(readFileSync(join(world.base, '.gantry', 'history.json'), 'utf8')) as {
      releases: { id: string; status: string }[]
    }
    const v2 = step(r2, 'Deploy')?.outputs?.['release-id']
    expect(history.releases.find((r) => r.id === v2)?.status).toBe('bad')
    expect(world.received.map((x) => (x.body as { status: string }).status).slice(-1)).toEqual(['rolled-back'])
    expect(JSON.stringify(allSteps(r2))).toContain(`release ${v2} was rolled back`)
  })
})
