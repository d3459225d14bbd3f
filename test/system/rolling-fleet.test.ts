// deploy-atomic strategy: rolling through the bundle over a real fleet (issue
// 17, "Tests (a real fleet)"): six hosts in network namespaces of their own,
// each with sshd and an app serving its own `current`, behind one HAProxy from
// Debian whose runtime API the roll drains and restores, under autocannon load
// through HAProxy.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals'
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { askSocket, parseServersState } from '@gantry/traffic'
import { runAction } from '../harness/runner.mjs'
import { httpGet, startFleet, type Fleet, type FleetHaproxy } from '../helpers/fleet.js'
import { writeFiles } from '../helpers/git-tree.js'
import { waitFor } from '../helpers/http.js'
import { underLoad, type LoadResult } from '../helpers/traffic.js'

jest.setTimeout(120_000)

let fleet: Fleet | undefined
let haproxy: FleetHaproxy
let root: string
const NAMES = ['web1', 'web2', 'web3', 'web4', 'web5', 'web6']

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'gantry-rolling-fleet-'))
  fleet = await startFleet({ hosts: 6, prefix: 'rf', initialRelease: true })
  haproxy = await fleet.startHaproxy({ mode: 'http', backend: 'app' })
}, 60_000)

afterAll(async () => {
  await fleet?.stop()
  rmSync(root, { recursive: true, force: true })
})

/** Each server's share (the percentage the roll reads), HAProxy's own weight, admin state and op state. */
async function rotation(): Promise<Record<string, { share: number; weight: number; admin: number; op: number }>> {
  const s = parseServersState(
    await askSocket({ kind: 'unix', path: haproxy.socket }, 'show servers state app', 5000)
  ).filter((x) => x.backend === 'app')
  const total = s.reduce((a, x) => a + x.uweight, 0)
  return Object.fromEntries(
    s.map((x) => [
      x.name,
      { share: Math.round((x.uweight * 100) / total), weight: x.uweight, admin: x.adminState, op: x.opState }
    ])
  )
}

const current = (name: string) => readlinkSync(join(fleet!.host(name).dir, 'current'))
const history = (name: string) =>
  JSON.parse(readFileSync(join(fleet!.host(name).dir, '.gantry', 'history.json'), 'utf8')) as {
    releases: Array<{ id: string; status?: string }>
    events: Array<{ kind: string; from?: string; to?: string; release?: string }>
  }

const errors = (r: { annotations: Array<{ level: string; message: string }> }) =>
  r.annotations.filter((a) => a.level === 'error').map((a) => a.message)

const failed = (l: LoadResult) => ({ non2xx: l.non2xx, errors: l.errors, timeouts: l.timeouts })

function deploy(id: string, activate = '') {
  const f = fleet!
  return runAction('deploy-atomic', {
    inputs: {
      source: writeFiles(join(root, `src-${id}`), { HEALTHY: '', 'index.html': `release ${id}\n` }),
      path: f.commonPath,
      target: 'ssh',
      hosts: f.hosts.map((h) => `${h.name}=${h.sshTarget}`).join('\n'),
      'ssh-key': f.sshKey,
      'known-hosts': f.knownHosts,
      'release-id': id,
      activate,
      strategy: 'rolling',
      'batch-size': '2',
      'host-health-url': 'http://{host}:8080/healthz',
      interval: '200ms',
      'max-wait': '5s',
      samples: '5',
      'drain-timeout': '5s',
      router: 'haproxy',
      upstream: 'app',
      'router-socket': haproxy.socket,
      'router-state-file': haproxy.stateFile
    },
    timeoutMs: 100_000
  })
}

/** Every server back in rotation (admin state 0, running) with exactly the weight it had before. */
async function expectBackInRotation(before: Awaited<ReturnType<typeof rotation>>) {
  const after = await rotation()
  expect(Object.keys(after).sort()).toEqual(NAMES)
  for (const n of NAMES)
    // HAProxy's own weight (100 each, read as 17,17,17,17,16,16), not the rounded percentages.
    expect({ n, weight: after[n].weight, admin: after[n].admin, op: after[n].op }).toEqual({
      n,
      weight: before[n].weight,
      admin: 0,
      op: 2
    })
}

describe('strategy rolling over six hosts behind one HAProxy', () => {
  test('batches of 2 under load: every host on the new release, every server back at its weight, 0 failed requests', async () => {
    const before = await rotation()
    for (const n of NAMES) expect(before[n]).toEqual({ share: 17, weight: 100, admin: 0, op: 2 })
    const t0 = performance.now()
    const { load, value: r } = await underLoad(`${haproxy.url}/`, 16, () => deploy('r1'))
    console.log(
      `rolling r1 (3 batches of 2) under 16-connection load: ${Math.round(performance.now() - t0)} ms, ${JSON.stringify(load)}`
    )
    expect(errors(r)).toEqual([])
    expect(r.code).toBe(0)
    expect(load.total).toBeGreaterThan(200)
    expect(failed(load)).toEqual({ non2xx: 0, errors: 0, timeouts: 0 })
    for (const n of NAMES) {
      expect({ n, current: current(n) }).toEqual({ n, current: 'releases/r1' })
      const body = JSON.parse((await httpGet(`${fleet!.host(n).appUrl}/`)).body)
      expect(body).toEqual({ host: n, release: 'r1' })
      expect({ n, last: history(n).events.at(-1) }).toMatchObject({ n, last: { kind: 'deploy', to: 'r1' } })
    }
    await expectBackInRotation(before)
    expect(r.summary).toMatch(/\| 3 \| web5, web6 \| \d+ ms \| [\d.]+ ms \| ✅ passed \|/)
  })

  test('web3 fails its gate: one line naming web3 by its server name, web1-web4 switched back, every server back exactly, history on every host', async () => {
    const before = await rotation()
    // Only web3's dir has the marker: its activate takes HEALTHY out of the new release there (its /healthz 503).
    writeFiles(fleet!.host('web3').dir, { 'fail-gate': '' })
    const { load, value: r } = await underLoad(`${haproxy.url}/`, 16, () =>
      deploy('r2', `sh -c 'if [ -e ../../fail-gate ]; then rm -f HEALTHY; fi'`)
    )
    console.log(`rolling r2, web3's gate failing, under load: ${JSON.stringify(load)}`)
    rmSync(join(fleet!.host('web3').dir, 'fail-gate'))
    expect(r.code).toBe(1)
    const e = errors(r)
    expect(e).toHaveLength(1)
    expect(e[0]).not.toContain('\n')
    expect(e[0]).toMatch(
      /^rolling stopped at batch 2\/3: web3: gate failed at http:\/\/[\d.]+:8080\/healthz: .*; switched back: web4, web3, web2, web1; router weights restored to .*; every host switched back; release r2 marked bad$/
    )
    // Every host is named as the router names it, never by its hosts line (user@address:port:path).
    expect(e[0]).toContain(`web3: gate failed at ${fleet!.host('web3').appUrl}/healthz`)
    expect(e[0]).not.toContain(fleet!.commonPath)
    // Batch 3 (web5, web6) was never started: nothing of theirs to switch back.
    expect(e[0]).toContain('; switched back: web4, web3, web2, web1; router weights restored to')
    expect(failed(load)).toEqual({ non2xx: 0, errors: 0, timeouts: 0 })
    for (const n of NAMES) {
      expect({ n, current: current(n) }).toEqual({ n, current: 'releases/r1' })
      const h = history(n)
      expect({ n, status: h.releases.find((x) => x.id === 'r2')?.status }).toEqual({ n, status: 'bad' })
    }
    for (const n of ['web1', 'web2', 'web3', 'web4'])
      expect({ n, last: history(n).events.at(-1) }).toMatchObject({
        n,
        last: { kind: 'switch-back', from: 'r2', to: 'r1' }
      })
    // web3 answered 503 during its gate, so HAProxy's own check has it DOWN until its rise count passes.
    await waitFor(async () => (await rotation()).web3.op === 2, 20_000, 'web3 UP again')
    await expectBackInRotation(before)
  })

  test('web4 cut off mid-switch: the deploy fails naming web4, web1-web3 switched back, every other server back in rotation; web4, still on r3, left out of it', async () => {
    const f = fleet!
    const web4 = f.host('web4')
    writeFiles(web4.dir, { 'cut-me': '' })
    // On web4 only, activate tells the test (a file in web4's dir) and waits until its link is cut.
    const activate =
      `sh -c 'if [ -e ../../cut-me ]; then touch ../../cut-now; ` +
      `i=0; while [ $i -lt 600 ] && ! ip -o link show | grep -q "state LOWERLAYERDOWN\\|NO-CARRIER"; do i=$((i+1)); sleep 0.1; done; fi'`
    const { load, value: r } = await underLoad(`${haproxy.url}/`, 16, async () => {
      const step = deploy('r3', activate)
      await waitFor(() => existsSync(join(web4.dir, 'cut-now')), 60_000, 'web4’s activate to start')
      f.cutOff('web4')
      return step
    })
    console.log(`rolling r3, web4 cut off in its activate, under load: ${JSON.stringify(load)}`)
    expect(r.code).toBe(1)
    const e = errors(r)
    expect(e).toHaveLength(1)
    expect(e[0]).not.toContain('\n')
    const target4 = `${web4.sshTarget}:${f.commonPath}`
    expect(e[0].startsWith('rolling stopped at batch 2/3: web4: activate could not run: ')).toBe(true)
    expect(e[0]).not.toContain(target4)
    // web3 (switched before web4 in its batch) and batch 1 are switched back; web4 cannot be reached to be (said once).
    expect(e[0]).toContain('; switched back: web3, web2, web1; NOT switched back: web4 (')
    expect(e[0].match(/NOT switched back/g)).toHaveLength(1)
    expect(e[0]).toMatch(
      /router weights restored to web1=20,web2=20,web3=20,web4=0,web5=20,web6=20; web4 left out of rotation \(0%, drained\), on the new release until a deploy switches it; release r3 marked bad$/
    )
    // The summary names it and why; the router side's traffic.json records the change, with the weights before.
    expect(r.summary).toMatch(/⚠️ Left out of rotation \(0%, drained\): web4, not switched back/)
    const traffic = JSON.parse(readFileSync(join(f.commonPath, '.gantry', 'traffic.json'), 'utf8')) as {
      changes: Array<{ upstream: string; weights: object; previous: object; drained?: string[]; reason?: string }>
    }
    expect(traffic.changes.at(-1)).toMatchObject({
      upstream: 'app',
      weights: { web1: 20, web2: 20, web3: 20, web4: 0, web5: 20, web6: 20 },
      previous: { web1: 17, web2: 17, web3: 17, web4: 17, web5: 16, web6: 16 },
      drained: ['web4'],
      reason: e[0].replace(/; release r3 marked bad$/, '')
    })
    console.log(`web4 cut off: ${e[0]}`)
    for (const n of ['web1', 'web2', 'web3', 'web5', 'web6'])
      expect({ n, current: current(n) }).toEqual({ n, current: 'releases/r1' })
    // Every other server in rotation with its own weight as before (100), sharing web4's part; web4 at 0 and drained.
    const after = await rotation()
    for (const n of NAMES.filter((x) => x !== 'web4'))
      expect({ n, weight: after[n].weight, admin: after[n].admin }).toEqual({ n, weight: 100, admin: 0 })
    expect({ weight: after.web4.weight, drained: (after.web4.admin & 0x08) !== 0 }).toEqual({
      weight: 0,
      drained: true
    })
    for (const n of ['web1', 'web2', 'web3', 'web5', 'web6']) {
      const h = history(n)
      expect({ n, status: h.releases.find((x) => x.id === 'r3')?.status }).toEqual({ n, status: 'bad' })
      if (n < 'web4')
        expect({ n, last: h.events.at(-1) }).toMatchObject({ n, last: { kind: 'switch-back', from: 'r3', to: 'r1' } })
    }
    await f.restore('web4')
    await waitFor(async () => (await rotation()).web4.op === 2, 20_000, 'web4 UP again')
    // What the error said: web4 was switched (its deploy event is there) and could not be switched back, nor
    // its history told that r3 is bad; reachable again it runs r3, but the router sends it nothing.
    expect((await rotation()).web4.share).toBe(0)
    const h4 = history('web4')
    expect(current('web4')).toBe('releases/r3')
    expect(h4.events.at(-1)).toMatchObject({ kind: 'deploy', from: 'r1', to: 'r3' })
    expect(h4.releases.find((x) => x.id === 'r3')?.status).toBe('good')
    expect(JSON.parse((await httpGet(`${web4.appUrl}/`)).body)).toEqual({ host: 'web4', release: 'r3' })
    console.log(
      `web4 after restore: current ${current('web4')}, releases ${JSON.stringify(h4.releases.slice(-2))}, last events ${JSON.stringify(h4.events.slice(-3))}`
    )
  })
})
