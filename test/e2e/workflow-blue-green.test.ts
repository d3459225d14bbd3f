// deploy.yml's blue-green strategy, from the workflow's YAML through the local
// workflow runner: the sample app's ship.yml asks for strategy: blue-green;
// two instances of the app serve <path>/slots/blue and <path>/slots/green, and
// a small proxy in front (the "router") sends each request to a slot by the
// weights a router-command writes. deploy-atomic (slot: idle), health-gate and
// smoke-test on the slot's own URL, traffic, the public gate and auto-rollback
// with the router inputs all run from their committed bundles.
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals'
import type { ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
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
let failFile: string
let publicUrl: string

beforeEach(async () => {
  world = await startSampleWorld()
  slots = []
  const slot = (name: string) => startSlot(world.project, world.base, name, slots)
  ports = { blue: await slot('blue'), green: await slot('green') }
  weightsFile = join(world.work, 'router-weights.json')
  failFile = join(world.work, 'router-fail')
  writeFileSync(weightsFile, JSON.stringify({ blue: 100, green: 0 }))
  const failing = () => (existsSync(failFile) ? readFileSync(failFile, 'utf8').trim() : '')
  const started = await startProxy(weightsFile, ports, failing)
  proxy = started.server
  publicUrl = `http://127.0.0.1:${started.port}`
  Object.assign(world.vars, {
    APP_URL: publicUrl,
    SLOT_URLS: `blue=http://127.0.0.1:${ports.blue}\ngreen=http://127.0.0.1:${ports.green}`,
    // The router-command: the weights from stdin into the proxy's file, printed back for verify.
    LB_COMMAND: lbCommand(world.work, weightsFile)
  })
  // What the router serves before the first blue-green deploy, recorded as a user does once
  // (the traffic action with weights: blue); blue holds nothing yet, so green is idle.
  blueGreenShip()
  const first = await world.run('bootstrap-traffic.yml')
  expect(first.result).toBe('success')
})

afterEach(async () => {
  proxy.closeAllConnections()
  proxy.close()
  for (const s of slots) s.kill('SIGTERM')
  await world.stop()
})

/** ship.yml with strategy: blue-green and the router inputs; and a one-step workflow that records blue as serving. */
function blueGreenShip(): string {
  const dir = join(world.project, '.github', 'workflows')
  const ship = readFileSync(join(dir, 'ship.yml'), 'utf8')
  const bg = ship.replace(
    '      smoke-spec: smoke.yml\n',
    [
      '      smoke-spec: smoke.yml',
      '      strategy: blue-green',
      '      slot-urls: ${{ vars.SLOT_URLS }}',
      '      router: command',
      '      upstream: app',
      '      servers: |',
      '        blue=blue',
      '        green=green',
      '      router-command: ${{ vars.LB_COMMAND }}',
      ''
    ].join('\n')
  )
  expect(bg).not.toBe(ship)
  writeFileSync(join(dir, 'ship-bg.yml'), bg)
  writeFileSync(
    join(dir, 'bootstrap-traffic.yml'),
    [
      'name: bootstrap',
      'on: workflow_dispatch',
      'permissions:',
      '  contents: read',
      'jobs:',
      '  traffic:',
      '    runs-on: self-hosted',
      '    steps:',
      '      - uses: gantry-dev/gantry/actions/traffic@v1',
      '        with:',
      '          router: command',
      '          upstream: app',
      '          servers: |',
      '            blue=blue',
      '            green=green',
      '          weights: blue',
      '          router-command: ${{ vars.LB_COMMAND }}',
      '          path: ${{ vars.APP_PATH }}',
      '          reason: the first blue-green deploy goes to green',
      ''
    ].join('\n')
  )
  return bg
}

const versionAt = async (url: string) =>
  ((await (await fetch(`${url}/api/version`)).json()) as { version: string }).version
const lastChange = () =>
  (
    JSON.parse(readFileSync(join(world.base, '.gantry', 'traffic.json'), 'utf8')) as {
      changes: { weights: Record<string, number>; reason?: string }[]
    }
  ).changes.at(-1)!
const slotRelease = (slot: string) => readlinkSync(join(world.base, 'slots', slot)).replace('../releases/', '')
const step = (run: Awaited<ReturnType<World['run']>>, name: string) =>
  allSteps(run).find((s) => s.name === name && s.job.endsWith('deploy'))

describe('deploy.yml strategy: blue-green', () => {
  test('each release goes to the idle slot, is gated there, then takes the traffic; failures move nothing or move it back', async () => {
    // v1 → green (idle), gated on green's own URL, then 100% to green.
    world.commit({ version: 'v1' })
    const r1 = await world.run('ship-bg.yml')
    expect(r1.result).toBe('success')
    expect(step(r1, 'Health gate')?.inputs?.url).toBe(`http://127.0.0.1:${ports.green}/healthz`)
    expect(step(r1, 'Move traffic to the new slot')?.outcome).toBe('success')
    expect(lastChange().weights).toEqual({ blue: 0, green: 100 })
    expect(await versionAt(publicUrl)).toBe('v1')
    expect(existsSync(join(world.base, 'current'))).toBe(false)
    const v1 = slotRelease('green')

    // v2 → blue, now idle.
    world.commit({ version: 'v2' })
    expect((await world.run('ship-bg.yml')).result).toBe('success')
    expect(lastChange().weights).toEqual({ blue: 100, green: 0 })
    expect(await versionAt(publicUrl)).toBe('v2')
    const v2 = slotRelease('blue')

    // v3 fails its own gate on green: no traffic moves; green goes back to v1, v3 marked bad.
    world.commit({ version: 'v3', broken: true })
    const r3 = await world.run('ship-bg.yml')
    expect(r3.result).toBe('failure')
    expect(step(r3, 'Health gate')?.outcome).toBe('failure')
    expect(step(r3, 'Move traffic to the new slot')?.outcome).toBe('skipped')
    expect(step(r3, 'Roll back')?.outputs?.['rolled-back']).toBe('true')
    expect(lastChange().weights).toEqual({ blue: 100, green: 0 })
    expect(slotRelease('green')).toBe(v1)
    expect(await versionAt(publicUrl)).toBe('v2')

    // v4 passes on green's own URL but the public URL fails once the traffic is on green
    // (the router sends green's requests nowhere): the traffic goes back to blue, green to v1.
    writeFileSync(failFile, 'green')
    world.commit({ version: 'v4' })
    const r4 = await world.run('ship-bg.yml')
    expect(r4.result).toBe('failure')
    expect(step(r4, 'Health gate')?.outcome).toBe('success')
    expect(step(r4, 'Gate the public URL')?.outcome).toBe('failure')
    const back = step(r4, 'Roll back')
    expect(back?.outputs?.['rolled-back']).toBe('true')
    expect(lastChange()).toMatchObject({ weights: { blue: 100, green: 0 } })
    expect(lastChange().reason).toMatch(
      /^weights: previous; rollback of slot green: release \S+ failed health-gate of the public URL/
    )
    expect(slotRelease('green')).toBe(v1)
    expect(slotRelease('blue')).toBe(v2)
    expect(step(r4, 'Gate the restored release')?.outcome).toBe('success')
    expect(await versionAt(publicUrl)).toBe('v2')
    const history = JSON.parse(readFileSync(join(world.base, '.gantry', 'history.json'), 'utf8')) as {
      releases: { id: string; status: string }[]
      events: { kind: string; slot?: string }[]
    }
    expect(history.releases.filter((r) => r.status === 'bad')).toHaveLength(2)
    expect(history.events.filter((e) => e.kind === 'rollback').every((e) => e.slot === 'green')).toBe(true)

    // The rollback button on the live slot (blue, v2): the traffic goes back to green (v1, still
    // warm); blue held nothing before v2, so v2 is marked bad and stays in blue without traffic.
    rmSync(failFile)
    const dir = join(world.project, '.github', 'workflows')
    const button = readFileSync(join(dir, 'rollback.yml'), 'utf8').replace(
      '      runs-on: self-hosted\n',
      [
        '      runs-on: self-hosted',
        '      slot: blue',
        '      router: command',
        '      upstream: app',
        '      servers: |',
        '        blue=blue',
        '        green=green',
        '      router-command: ${{ vars.LB_COMMAND }}',
        ''
      ].join('\n')
    )
    writeFileSync(join(dir, 'rollback-bg.yml'), button)
    const rb = await world.run('rollback-bg.yml', { inputs: { reason: 'v2 breaks checkout' } })
    expect(rb.result).toBe('success')
    const rbStep = allSteps(rb).find((s) => s.name === 'Roll back')!
    expect(rbStep.outputs).toMatchObject({ 'rolled-back': 'true', from: v2, to: v1, slot: 'blue' })
    expect(lastChange().weights).toEqual({ blue: 0, green: 100 })
    expect(lastChange().reason).toBe('weights: previous; rollback of slot blue: v2 breaks checkout')
    expect(await versionAt(publicUrl)).toBe('v1')
    const after = JSON.parse(readFileSync(join(world.base, '.gantry', 'history.json'), 'utf8')) as typeof history
    expect(after.releases.find((r) => r.id === v2)?.status).toBe('bad')
  })

  test('a strategy it does not know, or a slot without a URL, fails before anything changes', async () => {
    const dir = join(world.project, '.github', 'workflows')
    const bg = readFileSync(join(dir, 'ship-bg.yml'), 'utf8')
    writeFileSync(join(dir, 'ship-canary.yml'), bg.replace('strategy: blue-green', 'strategy: bluegreen'))
    world.vars.SLOT_URLS = `blue=http://127.0.0.1:${ports.blue}`
    world.commit({ version: 'v1' })
    const bad = await world.run('ship-canary.yml')
    expect(bad.result).toBe('failure')
    expect(JSON.stringify(allSteps(bad))).toContain(
      "Input 'strategy' is 'bluegreen': expected switch, blue-green, rolling or canary"
    )
    const noUrl = await world.run('ship-bg.yml')
    expect(noUrl.result).toBe('failure')
    expect(JSON.stringify(allSteps(noUrl))).toContain("Input 'slot-urls' has no URL for slot 'green'")
    expect(step(noUrl, 'Deploy')?.outcome).toBe('skipped')
    expect(existsSync(join(world.base, 'slots'))).toBe(false)
  })
})
