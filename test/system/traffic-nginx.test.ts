// The traffic action's bundle (as the runner runs it) with router: nginx, against
// nginx from Debian on 127.0.0.1 in front of two real app instances (slots/blue
// and slots/green), under autocannon load.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { get } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { makeHost, makeRouter, renderUpstream, type TrafficValues } from '@gantry/traffic'
import { runAction } from '../harness/runner.mjs'
import { NGINX, startNginx, type Nginx } from '../helpers/nginx.js'
import { requests, resets, startApp, underLoad, type App } from '../helpers/traffic.js'

jest.setTimeout(120_000)

const run = promisify(execFile)

let root: string
let blue: App
let green: App
let nginx: Nginx
let include: string
let base: string

const servers = () => `blue=${blue.address}\ngreen=${green.address}`

function traffic(weights: string, extra: Record<string, string> = {}) {
  return runAction('traffic', {
    inputs: {
      router: 'nginx',
      upstream: 'app',
      servers: servers(),
      weights,
      'router-config': include,
      'router-args': `-p ${nginx.prefix} -c ${nginx.conf}`,
      path: base,
      ...extra
    },
    timeoutMs: 60_000
  })
}

/** One request on a new connection (no keep-alive pool): it reaches nginx's current workers. */
function freshGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, timeout: 5000 }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (d: string) => (body += d))
      res.on('end', () => resolve(body))
    })
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', reject)
  })
}

const history = () => JSON.parse(readFileSync(join(base, '.gantry', 'traffic.json'), 'utf8'))

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'gantry-traffic-nginx-'))
  base = join(root, 'app')
  blue = await startApp(root, 'blue')
  green = await startApp(root, 'green')
  include = join(root, 'gantry-app.conf')
  // The include must exist for nginx to start; from then on the action owns it.
  writeFileSync(
    include,
    renderUpstream('app', [{ name: 'blue', address: blue.address }], { blue: 100 }, ['keepalive 16;'])
  )
  nginx = await startNginx(
    `location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }`,
    { http: `include ${include};` }
  )
}, 30_000)

afterAll(async () => {
  await nginx?.stop()
  await blue?.stop()
  await green?.stop()
  rmSync(root, { recursive: true, force: true })
})

describe('traffic with router: nginx', () => {
  test('the first change writes the include, reloads, and reads back', async () => {
    const r = await traffic('blue')
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.outputs.weights)).toEqual({ blue: 100, green: 0 })
    const text = readFileSync(include, 'utf8')
    expect(text).toContain(`server ${green.address} down; # gantry: green`)
    // The block's own directives are kept.
    expect(text).toContain('keepalive 16;')
    expect(r.summary).toContain('```mermaid')
    // The master and its workers are found in /proc, here by the pid file nginx -T names.
    expect(r.stdout).toMatch(/reloaded \(new workers of master \d+ running; the master found by pid file \//)
    // Live when the step returns: a new connection right away goes to the new weights.
    expect((await traffic('green')).code).toBe(0)
    for (let k = 0; k < 5; k++) expect(await freshGet(`${nginx.url}/`)).toBe('green\n')
  })

  test('20 weight changes under load: 0 non-2xx; resets no more than bare reloads give; the split at 90/10', async () => {
    const N = 20
    const plan = Array.from({ length: N }, (_, k) => (k % 2 === 0 ? 'green=100' : 'blue=100'))
    let t0 = performance.now()
    const inProcess: number[] = []
    const changes = await underLoad(`${nginx.url}/`, 16, async () => {
      for (const w of plan) {
        const r = await traffic(w, { reason: `switch ${w}` })
        expect({ w, code: r.code, out: r.code ? r.stdout : '' }).toEqual({ w, code: 0, out: '' })
        inProcess.push(JSON.parse(readFileSync(r.outputs.report, 'utf8')).durationMs)
      }
    })
    const interval = (performance.now() - t0) / N
    // The floor at the same load: what a script does without Gantry (write the include, nginx -t,
    // nginx -s reload), at the same pace (reloads closer together coalesce in the master, which
    // would count fewer reloads, not cheaper ones).
    const args = ['-p', nginx.prefix, '-c', nginx.conf]
    const upstreams = [blue, green].map((a) => ({ name: a.name, address: a.address }))
    t0 = performance.now()
    const bare = await underLoad(`${nginx.url}/`, 16, async () => {
      for (let k = 0; k < N; k++) {
        const w = k % 2 === 0 ? { blue: 0, green: 100 } : { blue: 100, green: 0 }
        writeFileSync(`${include}.tmp`, renderUpstream('app', upstreams, w, ['keepalive 16;']))
        renameSync(`${include}.tmp`, include)
        await run(NGINX, [...args, '-t'], { timeout: 10_000 })
        await run(NGINX, [...args, '-s', 'reload'], { timeout: 10_000 })
        // Pacing, not synchronisation: the next reload starts where the next change did.
        const next = t0 + (k + 1) * interval - performance.now()
        if (next > 0) await new Promise((r) => setTimeout(r, next))
      }
    })
    const measured = {
      changes: { ...changes.load, resets: resets(changes.load), perChange: resets(changes.load) / N },
      bare: { ...bare.load, resets: resets(bare.load), perReload: resets(bare.load) / N },
      // Per change under the load: the whole step (Node's start included) and in-process (the report's durationMs).
      stepMs: Math.round(interval),
      inProcessMs: Math.round(inProcess.reduce((a, b) => a + b, 0) / N)
    }
    writeFileSync(join(tmpdir(), 'gantry-traffic-nginx-measured.json'), JSON.stringify(measured, null, 2))
    console.log(`nginx under 16-connection load, ${N} changes vs ${N} bare reloads: ${JSON.stringify(measured)}`)
    expect(changes.load.non2xx).toBe(0)
    expect(changes.load.timeouts).toBe(0)
    expect(bare.load.non2xx).toBe(0)
    expect(changes.load.total).toBeGreaterThan(1000)
    // Resets come from nginx's reload racing keep-alive reuse: a change may cost no more than a bare reload
    // (the margin covers run-to-run noise of a race that is counted, not timed).
    expect(resets(changes.load)).toBeLessThanOrEqual(resets(bare.load) * 1.5 + 2 * N)
    expect(
      history()
        .changes.slice(-N)
        .map((c: { weights: Record<string, number> }) => c.weights)
    ).toEqual(plan.map((w) => (w === 'green=100' ? { blue: 0, green: 100 } : { blue: 100, green: 0 })))

    // The observed split at 90/10 over 6000 requests, counted by the instances themselves.
    expect((await traffic('blue=90,green=10')).code).toBe(0)
    // The step returns once the reloaded workers run: counting starts at once.
    await Promise.all([blue.reset(), green.reset()])
    const l = await requests(`${nginx.url}/`, 16, 6000)
    expect(l.non2xx + l.timeouts).toBe(0)
    const [b, g] = [await blue.count(), await green.count()]
    expect(b + g).toBeGreaterThanOrEqual(5000)
    const share = (b * 100) / (b + g)
    console.log(`nginx split at blue=90,green=10: blue ${b}, green ${g} (${share.toFixed(2)}% blue)`)
    expect(Math.abs(share - 90)).toBeLessThanOrEqual(3)
  })

  test('a broken include: the previous file is put back, traffic unchanged, nginx’s message in one line', async () => {
    expect((await traffic('blue')).code).toBe(0)
    const before = readFileSync(include, 'utf8')
    const changes = history().changes.length
    const r = await traffic('green', { servers: `blue=${blue.address}\ngreen=nowhere.invalid:1` })
    expect(r.code).toBe(1)
    const errors = r.annotations.filter((a) => a.level === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0].message).toMatch(
      /^nginx -t failed, so .*gantry-app\.conf was put back and traffic is unchanged: \[emerg\] host not found in upstream "nowhere\.invalid:1"/
    )
    expect(errors[0].message).not.toContain('\n')
    expect(readFileSync(include, 'utf8')).toBe(before)
    expect(history().changes).toHaveLength(changes)
    // No temp file left beside the include.
    expect(existsSync(join(root, '.gantry-app.conf'))).toBe(false)
    for (let k = 0; k < 20; k++) expect(await freshGet(`${nginx.url}/`)).toBe('blue\n')
  })

  test('weights: previous puts back the state before the last change, and twice toggles back', async () => {
    expect((await traffic('blue=30,green=70')).code).toBe(0)
    const a = await traffic('previous')
    expect(a.code).toBe(0)
    expect(JSON.parse(a.outputs.weights)).toEqual({ blue: 100, green: 0 })
    const b = await traffic('previous')
    expect(JSON.parse(b.outputs.weights)).toEqual({ blue: 30, green: 70 })
    expect(history().changes.at(-1).reason).toBe('weights: previous')
  })

  test("Router.save (the rolling roll's put-back): nginx's own weights back byte for byte, or a server left out", async () => {
    const values = {
      router: 'nginx',
      upstream: 'app',
      servers: [
        { name: 'blue', address: blue.address },
        { name: 'green', address: green.address }
      ],
      'router-config': include,
      'router-args': `-p ${nginx.prefix} -c ${nginx.conf}`,
      path: base
    } as unknown as TrafficValues
    const io = { log: () => undefined, warn: () => undefined, progress: () => undefined }
    const host = makeHost(values, io)
    const router = makeRouter(values, { ...io, host, timeoutMs: 10_000, drainTimeoutMs: 1000 })
    try {
      // Weights 1 and 2: read as 33/67, which, applied, would be written as weight=33 and weight=67.
      writeFileSync(
        include,
        renderUpstream('app', values.servers, { blue: 1, green: 2 }, ['keepalive 16;']).replace(
          'weight=1;',
          'weight=1 max_fails=3;'
        )
      )
      const text = readFileSync(include, 'utf8')
      const saved = (await router.save!())!
      expect(saved.held).toEqual(['blue', 'green'])
      expect(saved.weights()).toEqual({ blue: 33, green: 67 })
      await router.apply({ blue: 0, green: 100 }, ['blue'])
      expect(await router.read()).toEqual({ blue: 0, green: 100 })
      await saved.restore()
      expect(readFileSync(include, 'utf8')).toBe(text)
      expect(await router.read()).toEqual({ blue: 33, green: 67 })
      await saved.restore(['green'])
      expect(readFileSync(include, 'utf8')).toMatch(
        /server \S+ weight=1; # gantry: blue\n\s+server \S+ down; # gantry: green/
      )
      for (let k = 0; k < 5; k++) expect(await freshGet(`${nginx.url}/`)).toBe('blue\n')
    } finally {
      await host.close()
    }
  })

  test('no pid file to read (a relative pid path): the master is found in /proc by router-args, and waited for', async () => {
    const dir = mkdtempSync(join(root, 'relpid-'))
    const own = join(dir, 'gantry-app.conf')
    writeFileSync(own, renderUpstream('app', [{ name: 'blue', address: blue.address }], { blue: 100 }))
    const other = await startNginx(`location / { proxy_pass http://app; }`, {
      http: `include ${own};`,
      pid: 'nginx.pid'
    })
    try {
      for (const [w, body] of [
        ['green', 'green\n'],
        ['blue', 'blue\n']
      ]) {
        const r = await traffic(w, {
          'router-config': own,
          'router-args': `-p ${other.prefix} -c ${other.conf}`,
          path: join(dir, 'app')
        })
        expect({ code: r.code, out: r.code ? r.stdout : '' }).toEqual({ code: 0, out: '' })
        expect(r.stdout).toMatch(/reloaded \(new workers of master \d+ running; the master found by its command line\)/)
        // Live when the step returns, as with the pid file.
        for (let k = 0; k < 5; k++) expect(await freshGet(`${other.url}/`)).toBe(body)
      }
    } finally {
      await other.stop()
    }
  })

  test('bad input: one line naming the input, nothing changed', async () => {
    const before = readFileSync(include, 'utf8')
    const recorded = readFileSync(join(base, '.gantry', 'traffic.json'), 'utf8')
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ router: 'traefik' }, /^Input 'router' has invalid value 'traefik': expected one of nginx, haproxy, command$/],
      [{ weights: 'blue=50,green=40' }, /^Input 'weights' has invalid value 'blue=50,green=40': .*sum to 90$/],
      [{ weights: 'red=100' }, /^Input 'weights' has invalid value 'red=100': 'red' is not in servers/],
      [{ drain: 'red' }, /^Input 'drain' has invalid value 'red': 'red' is not in servers/],
      [
        { 'router-config': join(root, 'missing', 'app.conf') },
        /^Input 'router-config' has invalid value .*does not exist/
      ],
      [
        { 'router-socket': '/run/x.sock' },
        /^Input 'router-socket' has invalid value '\/run\/x.sock': it is for router 'haproxy'/
      ]
    ]
    for (const [extra, message] of cases) {
      const r = await traffic('green', extra)
      const errors = r.annotations.filter((a) => a.level === 'error').map((a) => a.message)
      expect({ extra, code: r.code, errors }).toEqual({ extra, code: 1, errors: [expect.stringMatching(message)] })
    }
    expect(readFileSync(include, 'utf8')).toBe(before)
    // Nothing recorded either: the history is as it was.
    expect(readFileSync(join(base, '.gantry', 'traffic.json'), 'utf8')).toBe(recorded)
  })
})
