// The rolling orchestrator (rollingRollout) with fake hosts and a fake Router:
// batches, drain, gate per host, weights put back; a failure switches back
// every host done and restores every server's weight exactly.
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalTarget, deploy, type History, type RolloutHost, type Weights } from '@gantry/release'
import {
  batchesOf,
  drainWeights,
  hostUrl,
  rollingRollout,
  rollingSummary,
  toPercent,
  type HostGate,
  type RouterSaved,
  type Router,
  type RollingOptions
} from '@gantry/traffic'
import { deployOptions } from '../helpers/release-options.js'

/** A router keeping weights in memory; every call is logged. */
class FakeRouter implements Router {
  calls: string[] = []
  applies = 0
  constructor(
    public weights: Weights,
    private readonly o: { failApply?: number; drainMs?: number; clock?: { t: number } } = {}
  ) {}
  async preflight() {}
  async read() {
    return { ...this.weights }
  }
  async apply(w: Weights, drain: readonly string[]) {
    this.applies++
    if (this.applies === this.o.failApply) {
      this.calls.push(`apply refused`)
      throw new Error('runtime API refused')
    }
    this.weights = { ...w }
    this.calls.push(
      `apply ${Object.entries(w)
        .map(([k, n]) => `${k}=${n}`)
        .join(',')}${drain.length ? ` drain ${drain.join(',')}` : ''}`
    )
    if (drain.length && this.o.clock) this.o.clock.t += this.o.drainMs ?? 0
  }
}

function fakeHosts(n: number, calls: string[], o: { failSwitch?: string; noPrevious?: boolean } = {}): RolloutHost[] {
  return Array.from({ length: n }, (_, i) => {
    const name = `web${i + 1}`
    let switched = false
    const h: RolloutHost = {
      name: `deploy@10.0.0.${11 + i}:/srv/app`,
      serverName: name,
      hostAddress: `10.0.0.${11 + i}`,
      previous: o.noPrevious ? undefined : 'r1',
      get switched() {
        return switched
      },
      async switch() {
        if (name === o.failSwitch) {
          calls.push(`switch ${name} failed`)
          throw new Error(`${h.name}: activate exited with code 1`)
        }
        switched = true
        calls.push(`switch ${name}`)
      },
      async back() {
        if (!switched) return true
        if (!h.previous) return false
        switched = false
        calls.push(`back ${name}`)
        return true
      }
    }
    return h
  })
}

const even6: Weights = { web1: 17, web2: 17, web3: 17, web4: 17, web5: 16, web6: 16 }

function setup(
  over: Partial<RollingOptions> & { failGate?: string; failApply?: number; failSwitch?: string; weights?: Weights } = {}
) {
  const calls: string[] = []
  const clock = { t: 0 }
  const router = new FakeRouter({ ...(over.weights ?? even6) }, { failApply: over.failApply, drainMs: 40, clock })
  router.calls = calls
  const hosts = fakeHosts(6, calls, { failSwitch: over.failSwitch })
  const gated: string[] = []
  const { rollout, record } = rollingRollout({
    router,
    servers: Object.keys(even6),
    batchSize: 2,
    hostHealthUrl: 'http://{host}:8080/healthz',
    gate: async (url, h): Promise<HostGate> => {
      gated.push(url.href)
      calls.push(`gate ${h.serverName}`)
      return h.serverName === over.failGate
        ? { ok: false, p95: 12, reasons: ['error rate 100% > max-error-rate 0% (20× status 503)'] }
        : { ok: true, p95: Number(h.serverName.slice(3)) * 10, reasons: [] }
    },
    log: () => undefined,
    clock: () => clock.t,
    ...over
  })
  return { calls, router, hosts, rollout, record, gated }
}

describe('rollingRollout', () => {
  test('6 hosts in batches of 2: drain, switch, gate each host, back to the weights before', async () => {
    const { calls, router, hosts, rollout, record, gated } = setup()
    await rollout(hosts)
    expect(calls).toEqual([
      'apply web1=0,web2=0,web3=26,web4=26,web5=24,web6=24 drain web1,web2',
      'switch web1',
      'switch web2',
      'gate web1',
      'gate web2',
      'apply web1=17,web2=17,web3=17,web4=17,web5=16,web6=16',
      'apply web1=26,web2=26,web3=0,web4=0,web5=24,web6=24 drain web3,web4',
      'switch web3',
      'switch web4',
      'gate web3',
      'gate web4',
      'apply web1=17,web2=17,web3=17,web4=17,web5=16,web6=16',
      'apply web1=25,web2=25,web3=25,web4=25,web5=0,web6=0 drain web5,web6',
      'switch web5',
      'switch web6',
      'gate web5',
      'gate web6',
      'apply web1=17,web2=17,web3=17,web4=17,web5=16,web6=16'
    ])
    expect(gated[0]).toBe('http://10.0.0.11:8080/healthz')
    expect(router.weights).toEqual(even6)
    expect(record.before).toEqual(even6)
    expect(record.after).toEqual(even6)
    expect(record.batches).toEqual([
      {
        index: 1,
        servers: ['web1', 'web2'],
        hosts: [hosts[0].name, hosts[1].name],
        drainMs: 40,
        gateP95: 20,
        verdict: 'passed'
      },
      {
        index: 2,
        servers: ['web3', 'web4'],
        hosts: [hosts[2].name, hosts[3].name],
        drainMs: 40,
        gateP95: 40,
        verdict: 'passed'
      },
      {
        index: 3,
        servers: ['web5', 'web6'],
        hosts: [hosts[4].name, hosts[5].name],
        drainMs: 40,
        gateP95: 60,
        verdict: 'passed'
      }
    ])
    expect(hosts.every((h) => h.switched)).toBe(true)
  })

  test('a gate failing on host 3: hosts 1-4 switched back, every weight restored exactly, one error naming the host', async () => {
    const uneven: Weights = { web1: 30, web2: 10, web3: 20, web4: 20, web5: 0, web6: 20 }
    const { calls, router, hosts, rollout, record } = setup({ failGate: 'web3', weights: uneven })
    const err = await rollout(hosts).then(
      () => new Error('resolved'),
      (e: unknown) => e as Error
    )
    expect(err.message).toBe(
      'rolling stopped at batch 2/3: web3: gate failed at http://10.0.0.13:8080/healthz: error rate 100% > max-error-rate 0% (20× status 503); switched back: web4, web3, web2, web1; router weights restored to web1=30,web2=10,web3=20,web4=20,web5=0,web6=20'
    )
    expect(calls.slice(-6)).toEqual([
      'gate web4',
      'back web4',
      'back web3',
      'back web2',
      'back web1',
      'apply web1=30,web2=10,web3=20,web4=20,web5=0,web6=20'
    ])
    // web5 at 0% (in maintenance, say) is never drained, and web5, web6 never switched.
    expect(calls.some((c) => c.includes('switch web5') || c.includes('switch web6'))).toBe(false)
    expect(router.weights).toEqual(uneven)
    expect(hosts.map((h) => h.switched)).toEqual([false, false, false, false, false, false])
    expect(record.batches.map((b) => [b.index, b.verdict, b.gateP95])).toEqual([
      [1, 'passed', 20],
      [2, 'failed', 40]
    ])
    expect(record.batches[1].reason).toMatch(/^web3: gate failed/)
    expect(record.restored).toBe(true)
    expect(record.after).toEqual(uneven)
  })

  test('a router apply failing mid-roll (putting batch 2 back): hosts 1-4 back, the weights before restored', async () => {
    const { router, hosts, rollout, record } = setup({ failApply: 4 })
    const err = await rollout(hosts).catch((e: unknown) => e as Error)
    expect((err as Error).message).toBe(
      'rolling stopped at batch 2/3: router: putting web3, web4 back in rotation failed: runtime API refused; switched back: web4, web3, web2, web1; router weights restored to web1=17,web2=17,web3=17,web4=17,web5=16,web6=16'
    )
    expect(router.weights).toEqual(even6)
    expect(hosts.some((h) => h.switched)).toBe(false)
    expect(record.restored).toBe(true)
  })

  test('a switch failing in batch 3: the hosts switched go back; a failing drain at the start switches nothing', async () => {
    const s = setup({ failSwitch: 'web6' })
    const err = await s.rollout(s.hosts).catch((e: unknown) => e as Error)
    expect((err as Error).message).toMatch(
      /^rolling stopped at batch 3\/3: web6: activate exited with code 1; switched back: web5, web4, web3, web2, web1; router weights restored/
    )
    expect(s.router.weights).toEqual(even6)

    const d = setup({ failApply: 1 })
    const e2 = await d.rollout(d.hosts).catch((e: unknown) => e as Error)
    expect((e2 as Error).message).toBe(
      'rolling stopped at batch 1/3: router: draining web1, web2 failed: runtime API refused; no host was switched; router weights restored to web1=17,web2=17,web3=17,web4=17,web5=16,web6=16'
    )
    expect(d.calls.filter((c) => c.startsWith('switch'))).toEqual([])
  })

  test('a host that cannot be switched back (cut off) stays out of rotation; the others share its part', async () => {
    const s = setup({ failGate: 'web4' })
    // web4 is unreachable by the time the roll goes back: its switch-back fails.
    const web4 = s.hosts[3]!
    web4.back = async () => {
      throw new Error('ssh: connect to host 10.0.0.14 port 22: No route to host')
    }
    const err = await s.rollout(s.hosts).catch((e: unknown) => e as Error)
    expect((err as Error).message).toBe(
      'rolling stopped at batch 2/3: web4: gate failed at http://10.0.0.14:8080/healthz: error rate 100% > max-error-rate 0% (20× status 503); switched back: web3, web2, web1; NOT switched back: web4 (ssh: connect to host 10.0.0.14 port 22: No route to host); router weights restored to web1=21,web2=21,web3=20,web4=0,web5=19,web6=19; web4 left out of rotation (0%, drained), on the new release until a deploy switches it'
    )
    expect(s.calls.at(-1)).toBe('apply web1=21,web2=21,web3=20,web4=0,web5=19,web6=19 drain web4')
    expect(s.router.weights.web4).toBe(0)
    expect(s.record.notSwitchedBack).toEqual(['web4 (ssh: connect to host 10.0.0.14 port 22: No route to host)'])
  })

  test('a restore the router refuses is said in the error', async () => {
    // apply 1 drains batch 1, apply 2 puts it back, 3 drains batch 2 ... the gate fails on web3; apply 4 is the restore.
    const { hosts, rollout, record } = setup({ failGate: 'web3', failApply: 4 })
    const err = await rollout(hosts).catch((e: unknown) => e as Error)
    expect((err as Error).message).toMatch(
      /switched back: web4, web3, web2, web1; the router was NOT put back to web1=17,.*: runtime API refused$/
    )
    expect(record.restored).toBe(false)
  })

  test('a hosts name the router lacks fails before any change', async () => {
    const { calls, hosts, rollout } = setup({ weights: { web1: 50, web2: 50 } })
    await expect(rollout(hosts)).rejects.toThrow("web3: the router has no server 'web3' (it has web1, web2)")
    expect(calls).toEqual([])
  })
})

/** A router holding its own weights (nginx's relative weight=N, HAProxy's 0-256), read as percentages; it can save and restore them. */
class RawRouter extends FakeRouter {
  constructor(public raw: Weights) {
    super(toPercent(raw))
  }
  override async read() {
    return toPercent(this.raw)
  }
  override async apply(w: Weights, drain: readonly string[]) {
    await super.apply(w, drain)
    this.raw = { ...w }
  }
  async save(): Promise<RouterSaved> {
    const raw = { ...this.raw }
    const without = (out: readonly string[]) =>
      Object.fromEntries(Object.entries(raw).map(([k, n]) => [k, out.includes(k) ? 0 : n]))
    return {
      held: Object.keys(raw),
      weights: (out = []) => toPercent(without(out)),
      restore: async (out = []) => {
        this.calls.push(`restore ${JSON.stringify(without(out))}`)
        this.raw = without(out)
      }
    }
  }
}

describe('the router put back exactly (its own weights, not the percentages read)', () => {
  const ones = { web1: 1, web2: 1, web3: 1, web4: 1, web5: 1, web6: 1 }
  const run = async (router: RawRouter, failGate?: string, cutOff?: string) => {
    const calls: string[] = []
    router.calls = calls
    const hosts = fakeHosts(6, calls)
    if (cutOff)
      hosts.find((h) => h.serverName === cutOff)!.back = async () => {
        throw new Error('ssh: connect to host: No route to host')
      }
    const left: Array<{ servers: string[]; weights: Weights; previous: Weights }> = []
    const saved = await router.save()
    const { rollout, record } = rollingRollout({
      router,
      servers: Object.keys(ones),
      batchSize: 2,
      hostHealthUrl: 'http://{host}/',
      before: await router.read(),
      saved,
      gate: async (_url, h) => ({ ok: h.serverName !== failGate, p95: 1, reasons: ['down'] }),
      onLeftOut: async (l) => {
        left.push(l)
      },
      log: () => undefined
    })
    const err = await rollout(hosts).then(
      () => undefined,
      (e: unknown) => e as Error
    )
    return { calls, err, record, left }
  }

  test('six servers of weight 1 (read 17,17,17,17,16,16) are 1 each after every batch and after a failure', async () => {
    const ok = new RawRouter({ ...ones })
    const r = await run(ok)
    expect(r.err).toBeUndefined()
    expect(ok.raw).toEqual(ones)
    expect(r.calls.filter((c) => c.startsWith('restore'))).toHaveLength(3)

    const failing = new RawRouter({ ...ones, web5: 3 })
    const f = await run(failing, 'web3')
    expect(f.err?.message).toMatch(/^rolling stopped at batch 2\/3: web3: gate failed at http:\/\/10.0.0.13\/: down;/)
    expect(failing.raw).toEqual({ ...ones, web5: 3 })
    expect(f.record.restored).toBe(true)
    expect(f.left).toEqual([])
  })

  test('a server left out: the others keep their own weights, the router side is told once, with why', async () => {
    const router = new RawRouter({ ...ones })
    const r = await run(router, 'web4', 'web4')
    expect(router.raw).toEqual({ ...ones, web4: 0 })
    expect(r.err?.message.match(/NOT switched back/g)).toHaveLength(1)
    expect(r.err?.message).toContain('NOT switched back: web4 (ssh: connect to host: No route to host)')
    expect(r.err?.message).toContain('router weights restored to web1=20,web2=20,web3=20,web4=0,web5=20,web6=20')
    expect(r.record.leftOut).toEqual(['web4'])
    expect(r.left).toEqual([
      {
        servers: ['web4'],
        weights: { web1: 20, web2: 20, web3: 20, web4: 0, web5: 20, web6: 20 },
        previous: toPercent(ones),
        reason: r.err?.message
      }
    ])
    const md = rollingSummary(r.record, 'app')
    expect(md).toContain('| web4 | 0% | 17% | no traffic |')
    expect(md).toMatch(/⚠️ Left out of rotation \(0%, drained\): web4, not switched back/)
    expect(md).toContain('⚠️ Not switched back: web4 (ssh: connect to host: No route to host)')
  })
})

describe('helpers', () => {
  test('drainWeights keeps the ratios of the others and refuses to drain every server with traffic', () => {
    expect(drainWeights({ a: 50, b: 25, c: 25 }, ['a'])).toEqual({ a: 0, b: 50, c: 50 })
    expect(drainWeights({ a: 100, b: 0 }, ['b'])).toEqual({ a: 100, b: 0 })
    expect(() => drainWeights({ a: 100, b: 0 }, ['a'])).toThrow(/leaves no server with traffic/)
  })
  test('batchesOf and hostUrl', () => {
    expect(batchesOf([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]])
    expect(hostUrl('http://{host}:8080/h?x={host}', { serverName: 'n', hostAddress: 'web1' }).href).toBe(
      'http://web1:8080/h?x=web1'
    )
    expect(() => hostUrl('http://{host}:8080/', { serverName: 'web1' })).toThrow(/^web1: has no host part/)
  })
})

describe('through deploy() (local targets standing in for hosts)', () => {
  let root: string
  let src: string
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'gantry-rolling-'))
    src = join(root, 'src')
    mkdirSync(src)
    writeFileSync(join(src, 'index.html'), 'v1')
  })
  afterEach(() => rmSync(root, { recursive: true, force: true }))

  test('a gate failing on host 3 of 4: every host back on r1, r2 bad and a switch-back in every history', async () => {
    const names = ['web1', 'web2', 'web3', 'web4']
    const targets = () =>
      names.map((n) => {
        const t = new LocalTarget(join(root, n), () => undefined)
        Object.assign(t, { serverName: n, hostAddress: `${n}.internal` })
        return t
      })
    const opts = (over: object) => deployOptions({ targets: targets(), source: src, tmpDir: root }, over)
    await deploy(opts({ releaseId: 'r1' }))
    const router = new FakeRouter({ web1: 25, web2: 25, web3: 25, web4: 25 })
    const { rollout, record } = rollingRollout({
      router,
      servers: names,
      batchSize: 2,
      hostHealthUrl: 'http://{host}/healthz',
      gate: async (url) =>
        url.hostname === 'web3.internal'
          ? { ok: false, p95: null, reasons: ['not healthy'] }
          : { ok: true, p95: 5, reasons: [] },
      log: () => undefined
    })
    const err = await deploy(opts({ releaseId: 'r2', rollout })).catch((e: unknown) => e as Error)
    expect((err as Error).message).toMatch(
      /^rolling stopped at batch 2\/2: web3: gate failed at http:\/\/web3.internal\/healthz: not healthy; switched back: web4, web3, web2, web1; router weights restored to web1=25,web2=25,web3=25,web4=25; every host switched back; release r2 marked bad$/
    )
    expect(router.weights).toEqual({ web1: 25, web2: 25, web3: 25, web4: 25 })
    expect(record.batches.map((b) => b.verdict)).toEqual(['passed', 'failed'])
    for (const n of names) {
      expect(readlinkSync(join(root, n, 'current'))).toBe('releases/r1')
      const h = JSON.parse(readFileSync(join(root, n, '.gantry', 'history.json'), 'utf8')) as History
      expect(h.releases.find((r) => r.id === 'r2')?.status).toBe('bad')
      expect(h.events.at(-1)).toMatchObject({ kind: 'switch-back', from: 'r2', to: 'r1' })
    }
  })
})

describe('a host deploy() cannot switch back (local targets, web4 refusing the switch back)', () => {
  let root: string
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'gantry-rolling-out-'))
    mkdirSync(join(root, 'src'))
    writeFileSync(join(root, 'src', 'index.html'), 'v1')
  })
  afterEach(() => rmSync(root, { recursive: true, force: true }))

  test('one error naming web4 once; every other host switched back, and its history names web4 left out and why', async () => {
    const names = ['web1', 'web2', 'web3', 'web4']
    const targets = names.map((n) => {
      const t = new LocalTarget(join(root, n), () => undefined)
      Object.assign(t, { serverName: n, hostAddress: `${n}.internal` })
      return t
    })
    const opts = (over: object) => deployOptions({ targets, source: join(root, 'src'), tmpDir: root }, over)
    await deploy(opts({ releaseId: 'r1' }))
    let backs = 0
    const web4 = targets[3]!
    const switchTo = web4.switchTo.bind(web4)
    web4.switchTo = async (id: string) => {
      if (id === 'r1') {
        backs++
        throw new Error('ssh: connect to host web4.internal port 22: No route to host')
      }
      return switchTo(id)
    }
    const router = new FakeRouter({ web1: 25, web2: 25, web3: 25, web4: 25 })
    const { rollout, record } = rollingRollout({
      router,
      servers: names,
      batchSize: 2,
      hostHealthUrl: 'http://{host}/healthz',
      gate: async (url) => ({ ok: url.hostname !== 'web4.internal', p95: 5, reasons: ['not healthy'] }),
      log: () => undefined
    })
    const err = await deploy(opts({ releaseId: 'r2', rollout })).catch((e: unknown) => e as Error)
    const message = (err as Error).message
    expect(message).toBe(
      'rolling stopped at batch 2/2: web4: gate failed at http://web4.internal/healthz: not healthy; switched back: web3, web2, web1; NOT switched back: web4 (ssh: connect to host web4.internal port 22: No route to host); router weights restored to web1=34,web2=33,web3=33,web4=0; web4 left out of rotation (0%, drained), on the new release until a deploy switches it; release r2 marked bad'
    )
    // Tried once: deploy() does not try (and report) again what the roll could not switch back.
    expect(backs).toBe(1)
    expect(record.leftOut).toEqual(['web4'])
    expect(readlinkSync(join(root, 'web4', 'current'))).toBe('releases/r2')
    for (const n of ['web1', 'web2', 'web3']) {
      expect(readlinkSync(join(root, n, 'current'))).toBe('releases/r1')
      const h = JSON.parse(readFileSync(join(root, n, '.gantry', 'history.json'), 'utf8')) as History
      expect(h.events.at(-1)).toMatchObject({ kind: 'switch-back', from: 'r2', to: 'r1' })
      expect(h.events.at(-1)?.reason).toContain('NOT switched back: web4 (ssh: connect to host web4.internal')
      expect(h.events.at(-1)?.reason).toContain('web4 left out of rotation (0%, drained)')
    }
  })
})

describe('the plan from the inputs, and the summary', () => {
  const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n'
  const values = (over: Record<string, unknown> = {}) =>
    ({
      strategy: 'rolling',
      'batch-size': 2,
      'host-health-url': 'http://{host}:8080/healthz',
      target: 'ssh',
      path: '/srv/app',
      hosts: ['web1=deploy@10.0.0.11', 'web2=deploy@10.0.0.12', 'deploy@10.0.0.13'],
      'ssh-key': KEY,
      'known-hosts': 'insecure-accept',
      router: 'command',
      upstream: 'shop',
      'router-command': ['lb-set'],
      'drain-timeout': 30_000,
      ...over
    }) as never

  test('servers are derived from the hosts lines (haproxy: name=name; command: name=host part); nginx needs them', async () => {
    const { rollingValues } = await import('@gantry/traffic')
    expect(rollingValues(values())!.servers).toEqual([
      { name: 'web1', address: '10.0.0.11' },
      { name: 'web2', address: '10.0.0.12' },
      { name: '10.0.0.13', address: '10.0.0.13' }
    ])
    expect(rollingValues(values({ strategy: 'switch', router: undefined, 'host-health-url': undefined }))).toBe(
      undefined
    )
    expect(() => rollingValues(values({ router: 'nginx', 'router-config': '/tmp/x.conf' }))).toThrow(
      /^Input 'servers' is required when strategy is rolling with router nginx/
    )
    expect(() =>
      rollingValues(values({ servers: [{ name: 'web1', address: 'a' }], 'router-command': ['lb-set'] }))
    ).toThrow(/^Input 'servers' has invalid value .*it has no server 'web2'/)
    expect(() => rollingValues(values({ slot: 'green' }))).toThrow(
      /^Input 'strategy' has invalid value 'rolling': slot/
    )
  })

  test('checkAgainstRouter: a command router taken as even; a batch draining every server with traffic', async () => {
    const { rollingValues, checkAgainstRouter } = await import('@gantry/traffic')
    const plan = rollingValues(values())!
    expect(checkAgainstRouter(plan, undefined, 'command')).toEqual({ web1: 34, web2: 33, '10.0.0.13': 33 })
    expect(() => checkAgainstRouter(plan, undefined, 'nginx')).toThrow(/gives no weights to read before the roll/)
    expect(() => checkAgainstRouter(plan, { web1: 50, web2: 50, '10.0.0.13': 0 }, 'haproxy')).toThrow(
      /^Input 'batch-size' has invalid value '2': draining web1, web2 leaves no server with traffic/
    )
    expect(() => checkAgainstRouter(plan, { web1: 50, web2: 50 }, 'haproxy')).toThrow(
      /^Input 'hosts' has invalid value 'deploy@10.0.0.13': the router has no server '10.0.0.13'/
    )
  })

  test('rollingSummary: a row per batch, then the fleet after', async () => {
    const { rollingSummary } = await import('@gantry/traffic')
    const md = rollingSummary(
      {
        before: { web1: 50, web2: 50 },
        after: { web1: 50, web2: 50 },
        restored: true,
        batches: [
          { index: 1, servers: ['web1'], hosts: ['h1'], drainMs: 12, gateP95: 4, verdict: 'passed' },
          {
            index: 2,
            servers: ['web2'],
            hosts: ['h2'],
            drainMs: 3,
            gateP95: null,
            verdict: 'failed',
            reason: 'h2: gate failed'
          }
        ]
      },
      'shop'
    )
    expect(md).toContain('| 1 | web1 | 12 ms | 4 ms | ✅ passed |')
    expect(md).toContain('| 2 | web2 | 3 ms | – | ❌ failed: h2: gate failed |')
    expect(md).toContain('| web2 | 50% | 50% | in rotation |')
    expect(md).toContain('Every server was put back to its weight before the deploy.')
  })
})
