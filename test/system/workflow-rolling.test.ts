// deploy.yml's strategy: rolling, from the workflow's YAML through the local
// workflow runner, over a real fleet (issue 17: "Run through the local workflow
// runner for deploy.yml"): four hosts in network namespaces of their own, each
// with sshd and an app serving its own `current`, behind one HAProxy from
// Debian. The sample app's ship.yml, pointed at the fleet with target: ssh and
// the rolling inputs, builds each release and calls deploy.yml, which runs
// deploy-atomic (the batches, the drain and each host's gate), health-gate of
// the public URL, auto-rollback and notify from their committed bundles.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals'
import { readFileSync, readlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { askSocket, parseServersState } from '@gantry/traffic'
import { startSampleWorld } from '../harness/sample-app.mjs'
import { allSteps, type WorkflowRun } from '../harness/workflow.mjs'
import { startFleet, type Fleet, type FleetHaproxy } from '../helpers/fleet.js'
import { underLoad } from '../helpers/traffic.js'

jest.setTimeout(240_000)

type World = Awaited<ReturnType<typeof startSampleWorld>>
let world: World
let fleet: Fleet | undefined
let haproxy: FleetHaproxy
const NAMES = ['web1', 'web2', 'web3', 'web4']

beforeAll(async () => {
  fleet = await startFleet({ hosts: 4, prefix: 'wr', initialRelease: true })
  // TCP checks: the public gate, not HAProxy, is what must notice a broken release here.
  haproxy = await fleet.startHaproxy({ mode: 'http', backend: 'app', check: 'tcp' })
  world = await startSampleWorld()
  Object.assign(world.vars, {
    APP_URL: haproxy.url,
    FLEET_PATH: fleet.commonPath,
    FLEET_HOSTS: fleet.hosts.map((h) => `${h.name}=${h.sshTarget}`).join('\n'),
    HOST_HEALTH_URL: 'http://{host}:8080/healthz',
    ROUTER_SOCKET: haproxy.socket,
    ROUTER_STATE_FILE: haproxy.stateFile
  })
  Object.assign(world.secrets, { FLEET_SSH_KEY: fleet.sshKey, FLEET_KNOWN_HOSTS: fleet.knownHosts })
  writeRollingShip()
}, 60_000)

afterAll(async () => {
  await world?.stop()
  await fleet?.stop()
})

/** The sample's ship.yml pointed at the fleet: target ssh, strategy rolling in batches of 2 through HAProxy. */
function writeRollingShip(): void {
  const dir = join(world.project, '.github', 'workflows')
  let ship = readFileSync(join(dir, 'ship.yml'), 'utf8')
  const edits: Array<[string, string]> = [
    [
      '      path: ${{ vars.APP_PATH }}\n      target: local\n',
      '      path: ${{ vars.FLEET_PATH }}\n      target: ssh\n      hosts: ${{ vars.FLEET_HOSTS }}\n'
    ],
    [
      '      smoke-spec: smoke.yml\n',
      [
        '      strategy: rolling',
        '      batch-size: 2',
        '      host-health-url: ${{ vars.HOST_HEALTH_URL }}',
        '      drain-timeout: 5s',
        '      router: haproxy',
        '      upstream: app',
        '      router-socket: ${{ vars.ROUTER_SOCKET }}',
        '      router-state-file: ${{ vars.ROUTER_STATE_FILE }}',
        ''
      ].join('\n')
    ],
    [
      '    secrets:\n',
      '    secrets:\n      GANTRY_SSH_KEY: ${{ secrets.FLEET_SSH_KEY }}\n      GANTRY_KNOWN_HOSTS: ${{ secrets.FLEET_KNOWN_HOSTS }}\n'
    ]
  ]
  for (const [from, to] of edits) {
    expect(ship).toContain(from)
    ship = ship.replace(from, to)
  }
  writeFileSync(join(dir, 'ship-rolling.yml'), ship)
}

/** Each server's weight, admin state and op state in HAProxy. */
async function rotation(): Promise<Record<string, { weight: number; admin: number; op: number }>> {
  const s = parseServersState(
    await askSocket({ kind: 'unix', path: haproxy.socket }, 'show servers state app', 5000)
  ).filter((x) => x.backend === 'app')
  return Object.fromEntries(s.map((x) => [x.name, { weight: x.uweight, admin: x.adminState, op: x.opState }]))
}

const current = (name: string) => readlinkSync(join(fleet!.host(name).dir, 'current'))
const history = (name: string) =>
  JSON.parse(readFileSync(join(fleet!.host(name).dir, '.gantry', 'history.json'), 'utf8')) as {
    releases: Array<{ id: string; status?: string }>
    events: Array<{ kind: string; from?: string; to?: string; release?: string }>
  }
const step = (run: WorkflowRun, name: string) => allSteps(run).find((s) => s.name === name && s.job.endsWith('deploy'))
const errorsOf = (run: WorkflowRun, name: string) =>
  (step(run, name)?.annotations ?? []).filter((a) => a.level === 'error').map((a) => a.message)
const lastStatus = () => (world.received.at(-1)?.body as { status?: string } | undefined)?.status

describe('deploy.yml strategy: rolling over four hosts behind HAProxy', () => {
  test('a good release rolls in two batches under load with 0 failed requests; a host failing its gate stops the roll and switches back; a public-gate failure rolls every host back', async () => {
    const before = await rotation()
    for (const n of NAMES) expect(before[n]).toMatchObject({ admin: 0, op: 2 })

    // v1: two batches of two, each drained, switched, gated at its own URL, put back; then the public gate.
    world.commit({ version: 'v1' })
    const { load, value: r1 } = await underLoad(`${haproxy.url}/`, 8, () => world.run('ship-rolling.yml'))
    expect(r1.result).toBe('success')
    expect(load.total).toBeGreaterThan(100)
    expect({ non2xx: load.non2xx, errors: load.errors, timeouts: load.timeouts }).toEqual({
      non2xx: 0,
      errors: 0,
      timeouts: 0
    })
    const deploy1 = step(r1, 'Deploy')!
    expect(deploy1.outcome).toBe('success')
    // The host gate got the workflow's health policy (ship.yml: 250ms between probes, at most 5s).
    expect(deploy1.inputs).toMatchObject({ strategy: 'rolling', interval: '250ms', 'max-wait': '5s', samples: '20' })
    expect(deploy1.summary).toMatch(/\| 1 \| web1, web2 \| \d+ ms \| [\d.]+ ms \| ✅ passed \|/)
    expect(deploy1.summary).toMatch(/\| 2 \| web3, web4 \| \d+ ms \| [\d.]+ ms \| ✅ passed \|/)
    expect(step(r1, 'Health gate')?.outcome).toBe('success')
    expect(step(r1, 'Roll back')?.outcome).toBe('skipped')
    const v1 = deploy1.outputs!['release-id']
    for (const n of NAMES) {
      expect({ n, current: current(n) }).toEqual({ n, current: `releases/${v1}` })
      expect({ n, last: history(n).events.at(-1) }).toMatchObject({ n, last: { kind: 'deploy', to: v1 } })
    }
    expect(await rotation()).toEqual(before)
    expect(lastStatus()).toBe('success')

    // v2 is broken (no HEALTHY): web1 fails its own gate in the first batch, the roll stops there,
    // web1 and web2 go back to v1, the router is as before, web3 and web4 are never touched.
    world.commit({ version: 'v2', broken: true })
    const r2 = await world.run('ship-rolling.yml')
    expect(r2.result).toBe('failure')
    expect(step(r2, 'Deploy')?.outcome).toBe('failure')
    const e2 = errorsOf(r2, 'Deploy')
    expect(e2).toHaveLength(1)
    expect(e2[0]).toMatch(/^rolling stopped at batch 1\/2: .*gate failed at http:\/\/[\d.]+:8080\/healthz/)
    expect(e2[0]).toMatch(/switched back: web\d, web\d/)
    // A failed deploy-atomic switched back itself: nothing for auto-rollback to do.
    expect(step(r2, 'Health gate')?.outcome).toBe('skipped')
    expect(step(r2, 'Roll back')?.outcome).toBe('skipped')
    for (const n of NAMES) expect({ n, current: current(n) }).toEqual({ n, current: `releases/${v1}` })
    expect(await rotation()).toEqual(before)
    expect(lastStatus()).toBe('failure')

    // v3 is broken too, but each host is gated at `/` (it answers while a release is there): the roll
    // completes, the public gate at /healthz fails, and auto-rollback puts every host back on v1 at once.
    world.vars.HOST_HEALTH_URL = 'http://{host}:8080/'
    world.commit({ version: 'v3', broken: true })
    const r3 = await world.run('ship-rolling.yml')
    expect(r3.result).toBe('failure')
    expect(step(r3, 'Deploy')?.outcome).toBe('success')
    const v3 = step(r3, 'Deploy')!.outputs!['release-id']
    expect(step(r3, 'Health gate')?.outcome).toBe('failure')
    expect(step(r3, 'Roll back')?.outputs?.['rolled-back']).toBe('true')
    expect(step(r3, 'Gate the restored release')?.outcome).toBe('success')
    for (const n of NAMES) {
      expect({ n, current: current(n) }).toEqual({ n, current: `releases/${v1}` })
      const h = history(n)
      expect({ n, v3: h.releases.find((x) => x.id === v3)?.status }).toEqual({ n, v3: 'bad' })
      expect({ n, last: h.events.at(-1) }).toMatchObject({ n, last: { kind: 'rollback', from: v3, to: v1 } })
    }
    expect(await rotation()).toEqual(before)
    expect(lastStatus()).toBe('rolled-back')
  })
})
