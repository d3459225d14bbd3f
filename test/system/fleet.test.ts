// The fleet harness (test/helpers/fleet.ts) on its own, before any rolling
// deploy stands on it: six hosts in network namespaces of their own, each with
// sshd and an app instance on its own address and its own directory at the
// common path, behind one HAProxy from Debian.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals'
import { execFile, execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { httpGet, reachable, startFleet, type Fleet, type FleetHaproxy } from '../helpers/fleet.js'
import { waitFor } from '../helpers/http.js'
import { SSH } from '../helpers/sshd.js'
import { createUser, type TestUser } from '../helpers/test-user.js'

jest.setTimeout(60_000)

const run = promisify(execFile)
let fleet: Fleet | undefined
let haproxy: FleetHaproxy
let keys: string
const timings: Record<string, number> = {}

beforeAll(async () => {
  keys = mkdtempSync(join(tmpdir(), 'gantry-fleet-keys-'))
  const t0 = performance.now()
  fleet = await startFleet({ hosts: 6, initialRelease: true })
  timings.startMs = Math.round(performance.now() - t0)
  writeFileSync(join(keys, 'id'), fleet.sshKey, { mode: 0o600 })
  writeFileSync(join(keys, 'known_hosts'), fleet.knownHosts)
}, 30_000)

afterAll(async () => {
  await fleet?.stop()
  rmSync(keys, { recursive: true, force: true })
  console.log(`fleet of 6: ${JSON.stringify(timings)}`)
})

/** `ssh` into a host (its sshTarget) with the fleet's key, checking its host key. */
function ssh(target: string, command: string) {
  const m = /^(.+)@(.+):(\d+)$/.exec(target)!
  return run(
    SSH,
    [
      '-i',
      join(keys, 'id'),
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      `UserKnownHostsFile=${join(keys, 'known_hosts')}`,
      '-o',
      'GlobalKnownHostsFile=/dev/null',
      '-o',
      'ConnectTimeout=5',
      '-p',
      m[3],
      '-l',
      m[1],
      m[2],
      command
    ],
    { timeout: 15_000, encoding: 'utf8' }
  )
}

async function get(url: string): Promise<{ status: number; body: { host: string; release: string | null } }> {
  const r = await httpGet(url)
  return { status: r.status, body: JSON.parse(r.body) as { host: string; release: string | null } }
}

const status = async (url: string) => (await httpGet(url)).status

/** `n` GETs of the router's / over 12 at a time: how many each host answered, and any failure. */
async function spread(n: number): Promise<{ byHost: Record<string, number>; failed: string[] }> {
  const byHost: Record<string, number> = {}
  const failed: string[] = []
  let next = 0
  await Promise.all(
    Array.from({ length: 12 }, async () => {
      while (next++ < n) {
        try {
          const { status, body } = await get(`${haproxy.url}/`)
          if (status !== 200) failed.push(`${status} from ${body.host}`)
          byHost[body.host] = (byHost[body.host] ?? 0) + 1
        } catch (e) {
          failed.push(String(e))
        }
      }
    })
  )
  return { byHost, failed }
}

const serverStatus = async (name: string) => (await haproxy.servers()).find((s) => s.svname === name)?.status

describe('a fleet of six hosts in network namespaces', () => {
  test('each host’s app answers on its own address with its own name; no two hosts share an address', async () => {
    const f = fleet!
    expect(f.hosts.map((h) => h.name)).toEqual(['web1', 'web2', 'web3', 'web4', 'web5', 'web6'])
    expect(new Set(f.hosts.map((h) => h.address)).size).toBe(6)
    for (const h of f.hosts) {
      expect(h.address).toMatch(/^10\.\d+\.\d+\.1[1-6]$/)
      expect(await get(`${h.appUrl}/`)).toEqual({ status: 200, body: { host: h.name, release: 'r0' } })
      expect(await status(`${h.appUrl}/healthz`)).toBe(200)
    }
    // The root namespace has no such address: the hosts' are only in their namespaces.
    expect(execFileSync('ip', ['-4', '-o', 'addr', 'show'], { encoding: 'utf8' })).not.toContain(
      `${f.hosts[0].address}/`
    )
  })

  test('ssh into each host and write at the common path: only that host’s dir has it, and its app sees it', async () => {
    const f = fleet!
    await Promise.all(
      f.hosts.map(async (h) => {
        const c = f.commonPath
        const { stdout } = await ssh(
          h.sshTarget,
          `echo ${h.name} > ${c}/written-by && mkdir -p ${c}/releases/r-${h.name} && touch ${c}/releases/r-${h.name}/HEALTHY ` +
            `&& ln -sfn releases/r-${h.name} ${c}/current.tmp && mv -T ${c}/current.tmp ${c}/current && hostname -I`
        )
        // The session ran in the host's network namespace: its only address is the host's.
        expect(stdout.trim()).toBe(h.address)
      })
    )
    for (const h of f.hosts) {
      expect(readFileSync(join(h.dir, 'written-by'), 'utf8')).toBe(`${h.name}\n`)
      expect(await get(`${h.appUrl}/`)).toEqual({ status: 200, body: { host: h.name, release: `r-${h.name}` } })
    }
    // The root namespace's common path is an empty mount point.
    expect(readdirSync(f.commonPath)).toEqual([])
    // No current: /healthz 503, / 503 with release null.
    rmSync(join(f.hosts[5].dir, 'current'))
    expect(await status(`${f.hosts[5].appUrl}/healthz`)).toBe(503)
    expect(await get(`${f.hosts[5].appUrl}/`)).toEqual({ status: 503, body: { host: 'web6', release: null } })
    const { stdout } = await ssh(f.hosts[5].sshTarget, `ln -s releases/r-web6 ${f.commonPath}/current && echo ok`)
    expect(stdout).toBe('ok\n')
    expect(await status(`${f.hosts[5].appUrl}/healthz`)).toBe(200)
  })

  test('HAProxy in front: 600 requests reach all six; a drained web3 gets none', async () => {
    const t0 = performance.now()
    haproxy = await fleet!.startHaproxy({ mode: 'http', backend: 'app' })
    timings.haproxyMs = Math.round(performance.now() - t0)
    expect(haproxy.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    for (const h of fleet!.hosts) expect(await serverStatus(h.name)).toBe('UP')
    const all = await spread(600)
    expect(all.failed).toEqual([])
    expect(Object.keys(all.byHost).sort()).toEqual(['web1', 'web2', 'web3', 'web4', 'web5', 'web6'])
    for (const n of Object.values(all.byHost)) expect(n).toBeGreaterThanOrEqual(50)

    expect(await haproxy.ask('set server app/web3 state drain')).toBe('\n')
    expect(await serverStatus('web3')).toBe('DRAIN')
    const drained = await spread(300)
    expect(drained.failed).toEqual([])
    expect(drained.byHost.web3).toBeUndefined()
    expect(Object.keys(drained.byHost)).toHaveLength(5)
    await haproxy.ask('set server app/web3 state ready')
    expect(await serverStatus('web3')).toBe('UP')
  })

  test('cutOff(web4): its app unreachable from here and DOWN in HAProxy, the rest serve; restore: back', async () => {
    const f = fleet!
    const web4 = f.host('web4')
    f.cutOff('web4')
    expect(await reachable(web4.address, 8080, 1000)).toBe(false)
    await expect(httpGet(`${web4.appUrl}/`, 1000)).rejects.toThrow(/no answer within 1000 ms/)
    const t0 = performance.now()
    await waitFor(async () => /^DOWN/.test((await serverStatus('web4')) ?? ''), 10_000, 'HAProxy to mark web4 DOWN')
    timings.markedDownMs = Math.round(performance.now() - t0)
    const without = await spread(120)
    expect(without.failed).toEqual([])
    expect(without.byHost.web4).toBeUndefined()

    await f.restore('web4')
    expect(await get(`${web4.appUrl}/`)).toEqual({ status: 200, body: { host: 'web4', release: 'r-web4' } })
    await waitFor(async () => (await serverStatus('web4')) === 'UP', 10_000, 'HAProxy to mark web4 UP')
    expect((await spread(60)).byHost.web4).toBeGreaterThan(0)
  })

  test('reload keeps a drained server drained once the state is saved', async () => {
    await haproxy.ask('set server app/web2 state drain')
    await haproxy.saveState()
    await haproxy.reload()
    expect(await serverStatus('web2')).toBe('DRAIN')
    await haproxy.ask('set server app/web2 state ready')
  })

  test('stop(): no namespace, veth, bridge or directory of the fleet is left', async () => {
    const f = fleet!
    const t0 = performance.now()
    await f.stop()
    timings.stopMs = Math.round(performance.now() - t0)
    const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    for (const h of f.hosts) expect(netns).not.toMatch(new RegExp(`^${h.ns}\\b`, 'm'))
    const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    expect(links).not.toContain(`: ${f.bridge}:`)
    for (const h of f.hosts) expect(links).not.toContain(`: ${h.veth}@`)
    expect(existsSync(f.hosts[0].dir)).toBe(false)
    // No route to the fleet's /24 is left (a connect there would now leave by the default route).
    expect(execFileSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' })).not.toContain(
      f.hosts[0].address.replace(/\.\d+$/, '.0/24')
    )
    fleet = undefined
  })
})

describe('a second fleet in the same process, logging in as a test user', () => {
  let second: Fleet | undefined
  let user: TestUser | undefined
  afterAll(async () => {
    await second?.stop()
    user?.remove()
  })

  test('two hosts: ssh as the user writes at the common path into a dir the user owns; names and addresses apart from the first', async () => {
    user = createUser()
    second = await startFleet({ hosts: 2, user })
    expect(second.id).toMatch(/^gf\d+[a-z]$/)
    expect(second.hosts.map((h) => h.sshTarget)).toEqual(second.hosts.map((h) => `${user!.name}@${h.address}:22`))
    writeFileSync(join(keys, 'known_hosts'), second.knownHosts)
    writeFileSync(join(keys, 'id'), second.sshKey, { mode: 0o600 })
    for (const h of second.hosts) {
      const { stdout } = await ssh(h.sshTarget, `id -un && echo hi > ${second.commonPath}/by-user`)
      expect(stdout).toBe(`${user.name}\n`)
      expect(statSync(join(h.dir, 'by-user')).uid).toBe(user.uid)
      // No release yet: the app answers 503 on /healthz.
      expect(await status(`${h.appUrl}/healthz`)).toBe(503)
    }
    await second.stop()
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(`${second.id}-`)
    second = undefined
  })
})
