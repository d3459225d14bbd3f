// The traffic action's bundle with router: haproxy, against HAProxy from Debian
// on 127.0.0.1 (runtime API on a unix socket) in front of two real app
// instances, under autocannon load.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { askSocket, parseServersState, parseStat } from '@gantry/traffic'
import { waitFor } from '../helpers/http.js'
import { runAction, type RunOptions } from '../harness/runner.mjs'
import { stdoutWatcher } from '../helpers/stdout-watch.js'
import { requests, resets, startApp, startHaproxy, underLoad, type App, type Haproxy } from '../helpers/traffic.js'

jest.setTimeout(120_000)

let root: string
let blue: App
let green: App
let haproxy: Haproxy
let base: string

function traffic(
  weights: string,
  extra: Record<string, string> = {},
  options: { onSpawn?: RunOptions['onSpawn'] } = {}
) {
  return runAction('traffic', {
    ...options,
    inputs: {
      router: 'haproxy',
      upstream: 'app',
      servers: 'blue=blue\ngreen=green',
      weights,
      'router-socket': haproxy.socket,
      'router-state-file': haproxy.stateFile,
      path: base,
      ...extra
    },
    timeoutMs: 60_000
  })
}

const state = async () =>
  parseServersState(await askSocket({ kind: 'unix', path: haproxy.socket }, 'show servers state app', 5000))

/** scur of a server of backend app (its open sessions). */
const stat = async (server: string) =>
  Number(
    parseStat(await askSocket({ kind: 'unix', path: haproxy.socket }, 'show stat app 4 -1', 5000)).find(
      (r) => r.svname === server
    )?.scur ?? 0
  )

const start = () =>
  startHaproxy(root, [
    { name: 'blue', address: blue.address, weight: 100 },
    { name: 'green', address: green.address, weight: 100 }
  ])

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'gantry-traffic-haproxy-'))
  base = join(root, 'app')
  blue = await startApp(root, 'blue')
  green = await startApp(root, 'green')
  haproxy = await start()
}, 30_000)

afterAll(async () => {
  await haproxy?.stop()
  await blue?.stop()
  await green?.stop()
  rmSync(root, { recursive: true, force: true })
})

describe('traffic with router: haproxy', () => {
  test('20 weight changes and blue-green switches with drain under load: 0 failed requests; the split at 90/10', async () => {
    const first = await traffic('blue')
    expect(first.code).toBe(0)
    // Read from the router before the first change: 100/100 is 50/50.
    expect(JSON.parse(first.outputs['previous-weights'])).toEqual({ blue: 50, green: 50 })
    const plan: Array<[string, string]> = []
    for (let k = 0; k < 10; k++) {
      plan.push([`green=${10 * (k + 1)},blue=${100 - 10 * (k + 1)}`, ''])
      plan.push([k % 2 === 0 ? 'green' : 'blue', k % 2 === 0 ? 'blue' : 'green'])
    }
    const inProcess: number[] = []
    const t0 = performance.now()
    const { load } = await underLoad(`${haproxy.url}/`, 16, async () => {
      for (const [w, drain] of plan) {
        const r = await traffic(w, { drain, 'drain-timeout': '5s' })
        expect({ w, code: r.code, out: r.code ? r.stdout : '' }).toEqual({ w, code: 0, out: '' })
        inProcess.push(JSON.parse(readFileSync(r.outputs.report, 'utf8')).durationMs)
      }
    })
    // Per change under the load: the whole step (Node's start included) and in-process (the report's durationMs).
    const timing = {
      stepMs: Math.round((performance.now() - t0) / plan.length),
      inProcessMs: Math.round(inProcess.reduce((a, b) => a + b, 0) / plan.length)
    }
    console.log(`haproxy under 16-connection load, ${plan.length} changes: ${JSON.stringify({ ...load, ...timing })}`)
    expect(load.total).toBeGreaterThan(1000)
    expect({ non2xx: load.non2xx, errors: load.errors, timeouts: load.timeouts, resets: resets(load) }).toEqual({
      non2xx: 0,
      errors: 0,
      timeouts: 0,
      resets: 0
    })

    expect((await traffic('blue=90,green=10')).code).toBe(0)
    await Promise.all([blue.reset(), green.reset()])
    const l = await requests(`${haproxy.url}/`, 16, 6000)
    expect(l.non2xx + l.errors + l.timeouts).toBe(0)
    const [b, g] = [await blue.count(), await green.count()]
    expect(b + g).toBeGreaterThanOrEqual(5000)
    const share = (b * 100) / (b + g)
    console.log(`haproxy split at blue=90,green=10: blue ${b}, green ${g} (${share.toFixed(2)}% blue)`)
    expect(Math.abs(share - 90)).toBeLessThanOrEqual(3)
  })

  test('drain waits for the drained server’s open sessions, and warns at drain-timeout', async () => {
    expect((await traffic('blue')).code).toBe(0)
    // A request held open on blue: one session the drain must wait for.
    const held = fetch(`${haproxy.url}/__hold`, { signal: AbortSignal.timeout(60_000) }).then((r) => r.text())
    await waitFor(async () => (await stat('blue')) > 0, 10_000, 'the held session on blue')
    const short = await traffic('green', { drain: 'blue', 'drain-timeout': '500ms' })
    expect(short.code).toBe(0)
    expect(short.annotations.filter((a) => a.level === 'warning').map((a) => a.message)).toEqual([
      expect.stringMatching(
        /^drain-timeout \(0\.5 s\) passed with sessions still open: blue 1; they take no new requests/
      )
    ])
    // Given time, the step waits: released while it waits, the session ends and the step succeeds.
    expect((await traffic('blue')).code).toBe(0)
    const held2 = fetch(`${haproxy.url}/__hold`, { signal: AbortSignal.timeout(60_000) }).then((r) => r.text())
    await waitFor(async () => (await stat('blue')) >= 2, 10_000, 'two held sessions on blue')
    // The sessions end only once the step says it is waiting for them: its own
    // 'draining' line, not a guess at how long it takes to get there.
    const watch = stdoutWatcher()
    const step = traffic('green', { drain: 'blue', 'drain-timeout': '60s' }, { onSpawn: watch.onSpawn })
    let stepDone = false
    void step.then(() => (stepDone = true))
    await watch.line(/^drain blue: draining \(2 session\(s\) open/, 30_000, "the step's 'drain blue: draining' line")
    expect(stepDone).toBe(false)
    expect((await state()).find((s) => s.name === 'blue')!.adminState).toBe(8)
    await blue.release()
    const r = await step
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/drain blue: draining \(2 session\(s\) open/)
    expect(r.stdout).toMatch(/drain blue: drained \(0 sessions/)
    expect([await held, await held2]).toEqual(['blue held\n', 'blue held\n'])
  })

  test('a drained server stays drained across a restart that loads the state file', async () => {
    const r = await traffic('green', { drain: 'blue' })
    expect(r.code).toBe(0)
    expect(readFileSync(haproxy.stateFile, 'utf8')).toMatch(/^1\n# be_id/)
    const drained = (await state()).find((s) => s.name === 'blue')!
    expect(drained.adminState & 0x08).toBe(0x08)

    await haproxy.stop()
    haproxy = await start()
    const after = await state()
    expect(after.find((s) => s.name === 'blue')!.adminState & 0x08).toBe(0x08)
    for (let k = 0; k < 20; k++) expect(await (await fetch(`${haproxy.url}/`)).text()).toBe('green\n')
    // And the action reads it back as 0%.
    const back = await traffic('blue')
    expect(JSON.parse(back.outputs['previous-weights'])).toEqual({ blue: 0, green: 100 })
  })

  test('the runtime API over TCP (router-socket host:port)', async () => {
    const r = await traffic('blue=60,green=40', { 'router-socket': haproxy.api })
    expect({ code: r.code, out: r.code ? r.stdout : '' }).toEqual({ code: 0, out: '' })
    expect((await state()).map((s) => [s.name, s.uweight])).toEqual([
      ['blue', 60],
      ['green', 40]
    ])
  })

  test('a socket that accepts and never answers: a bounded failure in one line', async () => {
    const dead = join(root, 'dead.sock')
    const held: Socket[] = []
    const server: Server = createServer((s) => void held.push(s))
    await new Promise<void>((r) => server.listen(dead, r))
    try {
      const t0 = performance.now()
      const r = await traffic('green', { 'router-socket': dead, timeout: '1s', 'router-state-file': '' })
      const ms = performance.now() - t0
      expect(r.code).toBe(1)
      const errors = r.annotations.filter((a) => a.level === 'error').map((a) => a.message)
      expect(errors).toEqual([
        expect.stringMatching(/^router-socket .*dead\.sock did not answer 'show servers state app' within 1 s$/)
      ])
      expect(ms).toBeLessThan(30_000)
    } finally {
      for (const s of held) s.destroy()
      await new Promise((r) => server.close(r))
    }
  })

  test('a weight HAProxy refuses: the commands before it are undone, one line with HAProxy’s words', async () => {
    const ask = async () =>
      parseServersState(await askSocket({ kind: 'unix', path: haproxy.socket }, 'show servers state static', 5000))
    const before = await ask()
    const r = await traffic('blue=90,green=10', { upstream: 'static' })
    expect(r.code).toBe(1)
    expect(r.annotations.filter((a) => a.level === 'error').map((a) => a.message)).toEqual([
      "HAProxy refused 'set server static/blue weight 90': Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.; the backend was put back as it was"
    ])
    expect(await ask()).toEqual(before)
  })

  test('bad input: a socket path that does not exist, a server not in the backend', async () => {
    // As the earlier tests left them (absent when this test runs alone).
    const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8') : undefined)
    const history = () => read(join(base, '.gantry', 'traffic.json'))
    const recorded = history()
    const stateFile = read(haproxy.stateFile)
    const missing = await traffic('green', { 'router-socket': join(root, 'nope.sock') })
    expect(missing.code).toBe(1)
    expect(missing.annotations.find((a) => a.level === 'error')?.message).toMatch(
      /^Input 'router-socket' has invalid value '.*nope\.sock': it does not exist; expected/
    )
    const before = await state()
    const unknown = await traffic('green', { servers: 'blue=blue\ngreen=purple' })
    expect(unknown.code).toBe(1)
    expect(unknown.annotations.find((a) => a.level === 'error')?.message).toBe(
      "HAProxy backend 'app' has no server 'purple' (servers: green=purple)"
    )
    expect(await state()).toEqual(before)
    // Nothing recorded, and the state file not rewritten.
    expect(history()).toBe(recorded)
    expect(read(haproxy.stateFile)).toBe(stateFile)
  })
})
